/**
 * A gateway and its standby on two hosts share one PostgreSQL store, and with it the documents operators change
 * beside a running gateway: the campus CA's registry and the console's users (gateway/store/pg-document.ts). Each
 * "host" here is a data dir of its own with its own copy of the CA folder, made when the standby was installed;
 * an enrolment, a revocation and a console user made through one are what the other sees.
 */
import test from 'ava';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../common/config.ts';
import { CampusCa } from '../../gateway/ca/campus-ca.ts';
import { KioskEnrolment } from '../../gateway/ca/kiosk-enrolment.ts';
import { CaRegistry } from '../../gateway/ca/registry.ts';
import { ConsoleUsers } from '../../gateway/console/auth/console-users.ts';
import { fromGateway } from '../support/enrolment-keys.ts';
import { EMBEDDED_CONFIG } from '../support/kiosk-system.ts';
import { opensslCsr } from '../support/openssl.ts';
import { testDatabase } from '../support/postgres.ts';
import { tempDir } from '../support/temp-dir.ts';

async function twoHosts(t: Parameters<typeof tempDir>[0]) {
  const base = loadConfig(EMBEDDED_CONFIG);
  const loaded: LoadedConfig = {
    ...base, config: { ...base.config, store: { backend: 'postgres', url: await testDatabase(), poolSize: 4, standby: true }, ca: { codeTtlHours: 72 } },
  };
  const [serving, standby] = [await tempDir(t, 'quancun-host-a-'), await tempDir(t, 'quancun-host-b-')];
  await CampusCa.create(join(serving, 'ca'), 'Test Campus CA');
  // The installer copies the CA folder to the standby's host when it sets it up, before any kiosk enrols.
  await cp(join(serving, 'ca'), join(standby, 'ca'), { recursive: true });
  const enrolmentOn = async (dataDir: string) => {
    const registry = CaRegistry.of(loaded, dataDir);
    t.teardown(() => registry.close());
    return new KioskEnrolment({ ca: await CampusCa.open(join(dataDir, 'ca')), kiosks: loaded.config.kiosks, codeTtlHours: 72, registry });
  };
  const usersOn = (dataDir: string) => {
    const users = ConsoleUsers.of(loaded, dataDir);
    t.teardown(() => users.close());
    return users;
  };
  return { serving, standby, enrolmentOn, usersOn };
}

test('a kiosk enrolled through the serving gateway is admitted by the standby, and refused by it once revoked', async (t) => {
  const { serving, standby, enrolmentOn } = await twoHosts(t);
  const [a, b] = [await enrolmentOn(serving), await enrolmentOn(standby)];
  await t.throwsAsync(b.admit('K002'), { code: 'KIOSK_NOT_ENROLLED' });
  const { code } = await a.issueCode('K002');
  await a.enrol({ kioskId: 'K002', code, boardSerial: 'SN2025-0042', location: 'Library', csr: await opensslCsr(serving), pinPad: { serial: 'PP2025000123' } }, fromGateway(0));
  await b.admit('K002');
  await a.revokeKiosk('K002');
  await t.throwsAsync(b.admit('K002'), { code: 'KIOSK_REVOKED' });
});

test('a console user added on one host is known on the other: one list of users', async (t) => {
  const { serving, standby, usersOn } = await twoHosts(t);
  await usersOn(serving).add('olga', 'operator', 'long-enough-password');
  t.like(await usersOn(standby).list(), [{ name: 'olga', role: 'operator' }]);
});
