/**
 * Whether a remote command may be carried out, decided before anything is done: its signature (ECDSA P-256,
 * SHA-256, DER) over `signedBytes`, a signer certificate issued by the campus CA with CN `gateway.<name>` or
 * `operator.<name>` and valid now, its validity window (a 60 s clock skew allowed either way, at most 24 h long), a
 * nonce never seen before (kept in the journal), and a command and arguments this kiosk knows. Each refusal is a
 * QuancunError with a stable code; the message never repeats the payload's values.
 */
import { verify, X509Certificate } from 'node:crypto';
import { QuancunError } from '../../common/errors.ts';
import { commonName } from '../../common/mqtt/tls-files.ts';
import {
  isCommandName, parseCommandArgs, parseCommandEnvelope, signedBytes, type CommandArgs, type CommandEnvelope, type CommandName,
} from '../../common/api/topics.ts';
import type { NonceStore } from './nonce-store.ts';

export const CLOCK_SKEW_MS = 60_000;
export const MAX_LIFETIME_MS = 24 * 3600_000;
const SIGNER_ROLES = ['gateway', 'operator'] as const;

export interface CheckedCommand<C extends CommandName = CommandName> {
  envelope: CommandEnvelope;
  name: C;
  args: CommandArgs<C>;
  /** The signer certificate's CN, e.g. operator.alice. */
  signer: string;
}

export interface CheckContext {
  kioskId: string;
  /** The campus CA; without one every command is refused COMMAND_UNTRUSTED. */
  ca: X509Certificate | undefined;
  nonces: NonceStore;
  now?: Date;
}

/** The campus CA certificate from its PEM; CONFIG_INVALID naming `source` when it is not a CA certificate. */
export function trustedCa(pem: string, source: string): X509Certificate {
  let ca: X509Certificate;
  try {
    ca = new X509Certificate(pem);
  } catch (err) {
    throw new QuancunError('CONFIG_INVALID', `${source}: not a PEM certificate (${(err as Error).message})`, { source });
  }
  if (!ca.ca) throw new QuancunError('CONFIG_INVALID', `${source}: not a CA certificate (basicConstraints CA:TRUE missing)`, { source });
  return ca;
}

export async function checkCommand(topicName: string, payload: Buffer, ctx: CheckContext): Promise<CheckedCommand> {
  const now = ctx.now ?? new Date();
  const envelope = parseCommandEnvelope(payload);
  if (envelope.command !== topicName) throw new QuancunError('LINK_BAD_MESSAGE', `command: is ${envelope.command}, topic says ${topicName}`);
  if (envelope.kioskId !== ctx.kioskId) throw new QuancunError('LINK_BAD_MESSAGE', `kioskId: the command is for kiosk ${envelope.kioskId}`);
  const { issuer, signature } = envelope;
  if (!issuer || !signature) throw new QuancunError('COMMAND_UNSIGNED', 'the command has no signature or no issuer certificate');

  const signer = trustedSigner(issuer.certificate, ctx.ca, now);
  const good = (() => {
    try {
      return verify('sha256', signedBytes(envelope), { key: signer.cert.publicKey, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
    } catch {
      return false;
    }
  })();
  if (!good) throw new QuancunError('COMMAND_SIGNATURE_INVALID', `the signature does not verify with ${signer.cn}'s key`, { signer: signer.cn });

  const issuedAt = Date.parse(envelope.issuedAt);
  const expiresAt = Date.parse(envelope.expiresAt);
  if (issuedAt > now.getTime() + CLOCK_SKEW_MS) throw new QuancunError('COMMAND_EXPIRED', 'issuedAt is in the future (beyond 60 s of clock skew)');
  if (expiresAt < now.getTime() - CLOCK_SKEW_MS) throw new QuancunError('COMMAND_EXPIRED', 'the command has expired');
  if (expiresAt < issuedAt || expiresAt - issuedAt > MAX_LIFETIME_MS) {
    throw new QuancunError('COMMAND_EXPIRED', 'expiresAt must be after issuedAt and at most 24 h later');
  }

  if (await ctx.nonces.seen(envelope.nonce)) throw new QuancunError('COMMAND_REPLAYED', 'this command\'s nonce was already used', { id: envelope.id });
  await ctx.nonces.remember(envelope.nonce, new Date(expiresAt + CLOCK_SKEW_MS), now);

  if (!isCommandName(envelope.command)) throw new QuancunError('COMMAND_UNKNOWN', `unknown command ${envelope.command}`);
  const name = envelope.command;
  return { envelope, name, args: parseCommandArgs(name, envelope.args), signer: signer.cn };
}

/** The signer's certificate, once it chains to the campus CA, is valid now, is a gateway's or an operator's, on P-256. */
function trustedSigner(pem: string, ca: X509Certificate | undefined, now: Date): { cert: X509Certificate; cn: string } {
  const untrusted = (why: string) => new QuancunError('COMMAND_UNTRUSTED', why);
  if (!ca) throw untrusted('this kiosk has no campus CA configured (commands.trustedCa): it trusts no signer');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch {
    throw untrusted('issuer.certificate is not a certificate');
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw untrusted('the signer certificate is not issued by the campus CA');
  for (const c of [cert, ca]) {
    if (now < new Date(c.validFrom) || now > new Date(c.validTo)) throw untrusted(`certificate ${commonName(c) ?? '(no CN)'} is not valid now`);
  }
  const cn = commonName(cert);
  if (!cn || !SIGNER_ROLES.some((role) => cn.startsWith(`${role}.`) && cn.length > role.length + 1)) {
    throw untrusted(`signer ${cn ?? '(no CN)'} is neither a gateway. nor an operator.`);
  }
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw untrusted(`signer ${cn}'s key is not EC P-256`);
  return { cert, cn };
}
