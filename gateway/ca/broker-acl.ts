/**
 * The broker's side of the campus CA's registry: the Mosquitto ACL files for the identities the CA issued and the
 * kiosks it revoked (rules from common/api/access.ts), written where the broker reads them and applied by the
 * configured reload (`systemctl reload mosquitto`: SIGHUP, no restart). Run after every change that moves a line of
 * the file: a gateway or operator certificate issued, a kiosk revoked, a revoked kiosk enrolled again.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { mosquittoAcl, mosquittoProvisioningAcl, type AclParties } from '../../common/api/access.ts';
import { QuancunError } from '../../common/errors.ts';
import { writeFileAtomic } from '../../common/store/locked-file.ts';
import type { CaRegistry, Registry } from './registry.ts';

/** Mosquitto reads the files as its own user; they hold identities, not secrets. */
const READABLE = 0o644;

export interface BrokerAclSettings {
  /** The file the broker's mutual-TLS listener reads as `acl_file`. */
  aclFile: string;
  /** The command that makes the broker read it again; an empty list when something else watches the file. */
  reload: readonly string[];
}

export function aclParties(registry: Registry): AclParties {
  const issued = (role: string) => registry.clients.map((c) => c.identity).filter((id) => id.startsWith(`${role}.`)).sort();
  return {
    gateways: issued('gateway'),
    operators: issued('operator'),
    revokedKiosks: Object.values(registry.kiosks).filter((k) => k.revokedAt).map((k) => k.kioskId).sort(),
  };
}

/** Records a gateway's or operator's certificate, so the broker's ACL names its identity. */
export async function recordClient(registry: CaRegistry, identity: string, certPem: string, now = new Date()): Promise<void> {
  const certSerial = new X509Certificate(certPem).serialNumber.toLowerCase();
  await registry.update((r) => {
    r.clients = [...r.clients.filter((c) => c.identity !== identity), { identity, certSerial, issuedAt: now.toISOString() }];
  });
}

/** Both ACL files into a folder: `kiosks.acl` (the mutual-TLS listener) and `installers.acl` (provisioning). */
export async function writeBrokerAcls(registry: CaRegistry, dir: string): Promise<string[]> {
  const files = [join(dir, 'kiosks.acl'), join(dir, 'installers.acl')];
  await writeFileAtomic(files[0]!, mosquittoAcl(aclParties(await registry.read())), READABLE);
  await writeFileAtomic(files[1]!, mosquittoProvisioningAcl(), READABLE);
  return files;
}

/** Rewrites the broker's ACL file from the registry and has the broker reload it. */
export async function applyBrokerAcl(registry: CaRegistry, settings: BrokerAclSettings): Promise<void> {
  await writeFileAtomic(settings.aclFile, mosquittoAcl(aclParties(await registry.read())), READABLE);
  const [command, ...args] = settings.reload;
  if (!command) return;
  try {
    await promisify(execFile)(command, args, { timeout: 30_000 });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new QuancunError('CONFIG_INVALID', `${settings.aclFile} written, but the broker reload (${settings.reload.join(' ')}) failed: ${(e.stderr || e.message).trim()}`);
  }
}
