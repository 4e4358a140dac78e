import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseBoardProfile, SIM_BOARD_PROFILE, type BoardProfileInput } from '../../board/board-profile.ts';
import { createDevices, type Devices } from '../../board/devices.ts';
import { readJsonFile } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { identityOf } from '../../common/api/access.ts';
import { writeBoardIdentity } from '../../hal/i2c/board-identity.ts';
import { normaliseCode, normaliseFingerprint } from '../../provisioning/enrolment-code.ts';
import { parseEnrolmentUri, type EnrolmentUri } from '../../common/api/enrolment-uri.ts';
import { provision, type Progress } from '../../provisioning/provision.ts';
import type { CheckName, Installer } from '../../provisioning/self-test.ts';
import { reportText } from '../../provisioning/self-test-report.ts';
import { padMemoryPath } from '../../sim/pin-pad/pad-memory.ts';
import type { Command } from '../command.ts';

type Values = Record<string, string | boolean | undefined>;

export const provisionCommand: Command = {
  name: 'provision',
  summary: "give this board its kiosk identity: enrol with a one-time code, load the PIN pad's key, self-test (installer)",
  details: [
    'Reads the board serial from its identity EEPROM, makes the kiosk key pair on the board, sends its certificate',
    'request with the enrolment code over the provisioning broker account, loads the PIN key the gateway returns',
    'into the PIN pad (encrypted under the pad\'s transport key), writes the kiosk config, TLS files and EEPROM',
    'identity, then runs the self-test; the report is kept in the data dir and published. Asks for every value not',
    'given as a flag (on a terminal); --yes runs unattended, skipping the checks that need a person. Before anything',
    'is sent the broker must present the campus CA whose SHA-256 fingerprint comes with the code (ca=… in the QR).',
    'A refused code (ENROL_CODE_EXPIRED, ENROL_CODE_USED, …) changes nothing on the board. See docs/provisioning.md.',
  ].join('\n'),
  options: {
    enrolment: { type: 'string', description: 'the enrolment QR\'s text (quancun-enrol:<kiosk>?code=…&ca=…): kiosk id, code and CA fingerprint' },
    'kiosk-id': { type: 'string', description: 'the kiosk id the code was issued for' },
    location: { type: 'string', description: 'where the kiosk stands' },
    code: { type: 'string', description: 'the one-time enrolment code XXXX-XXXX-XXXX-XXXX (prefer the prompt: flags stay in shell history)' },
    'ca-fingerprint': { type: 'string', description: 'SHA-256 fingerprint of the campus CA certificate' },
    'enrol-url': { type: 'string', description: 'the broker\'s provisioning listener, mqtts://host:port' },
    'enrol-user': { type: 'string', description: 'your installer account on the provisioning listener, installer.<name>' },
    'enrol-password': { type: 'string', description: 'its password (prefer the prompt)' },
    'ca-file': { type: 'string', description: 'with an mqtt:// enrolment URL only (test setups without TLS): the campus CA certificate' },
    'broker-url': { type: 'string', description: 'the broker the kiosk uses with its certificate (default: the enrolment host, port 8883, as deploy/mosquitto sets it up)' },
    'config-out': { type: 'string', description: 'the kiosk config file to write (a template there keeps its campus and screens)', default: '/etc/quancun/kiosk.json' },
    'data-dir': { type: 'string', description: 'the kiosk\'s data dir: journal, self-test report, touch calibration', default: '/var/lib/quancun' },
    board: { type: 'string', description: 'the board profile (JSON file), or "sim" for the simulated board' },
    'sim-serial': { type: 'string', description: 'with --board sim: the serial its factory wrote in the EEPROM', default: 'SIM-BOARD-0001' },
    'campus-name': { type: 'string', description: 'campus name (zh) for a config written from nothing' },
    'campus-name-en': { type: 'string', description: 'campus name (en) for a config written from nothing' },
    'card-wait': { type: 'string', description: 'seconds to wait for a card on the reader in the self-test', default: '15' },
    'no-touch': { type: 'boolean', description: 'skip the touch check (no touch panel fitted yet)' },
    yes: { type: 'boolean', description: 'unattended: no questions; checks that need a person are skipped' },
  },
  async run(values) {
    const interactive = process.stdin.isTTY === true && values.yes !== true;
    const ask = prompter(interactive);
    const ticket: Partial<EnrolmentUri> = typeof values.enrolment === 'string' ? parseEnrolmentUri(values.enrolment.trim()) : {};
    const text = (flag: string, fromTicket?: string) => (values[flag] as string | undefined) ?? fromTicket;

    const kioskId = text('kiosk-id', ticket.kioskId) ?? await ask.input('Kiosk id:');
    const location = text('location') ?? await ask.input('Location (building, floor, where it stands):');
    const code = normaliseCode(text('code', ticket.code) ?? await ask.secret('Enrolment code:'));
    const caFingerprint = normaliseFingerprint(text('ca-fingerprint', ticket.caFingerprint) ?? await ask.input('Campus CA fingerprint (SHA-256):'));
    const url = text('enrol-url') ?? await ask.input('Enrolment broker (mqtts://host:port):');
    const username = text('enrol-user') ?? await ask.input('Your installer account (installer.<name>):');
    if (identityOf(username)?.role !== 'provisioning') throw new QuancunError('CONFIG_INVALID', `--enrol-user: "${username}" is not an installer account (installer.<name>)`);
    const password = text('enrol-password') ?? await ask.secret(`Password of the broker account "${username}":`);
    const configPath = resolve(text('config-out')!);
    const dataDir = resolve(text('data-dir')!);
    const boardArg = text('board') ?? await ask.input('Board profile (JSON file, or "sim"):');
    const board: BoardProfileInput = boardArg === 'sim' ? SIM_BOARD_PROFILE : readJsonFile(boardArg) as BoardProfileInput;
    parseBoardProfile(board, boardArg);
    const campusNames = text('campus-name') && text('campus-name-en') ? { name: text('campus-name')!, nameEn: text('campus-name-en')! } : undefined;
    const caPem = typeof values['ca-file'] === 'string' ? await readFile(values['ca-file'], 'utf8') : undefined;

    if (interactive && !(await ask.confirm(`Enrol this board as ${kioskId} at "${location}" through ${url}?`))) {
      console.log('Nothing was done.');
      return 1;
    }
    const devices = await boardDevices(boardArg, dataDir, kioskId, text('sim-serial')!);
    const skip: Partial<Record<CheckName, string>> = {};
    if (values['no-touch']) skip.touch = '--no-touch';
    if (!interactive) {
      for (const check of ['touch', 'display', 'door', 'leds'] as const) skip[check] ??= 'unattended (--yes or no terminal): no one to ask';
    }
    const installer: Installer = {
      instruct: (_id, line) => console.log(`    → ${line}`),
      confirm: (_id, question) => ask.confirm(question),
    };
    try {
      const result = await provision(devices, installer, {
        kioskId, location, code, caFingerprint, enrol: { url, username, password }, configPath, dataDir, board,
        selfTest: { skip, cardWaitMs: Number(values['card-wait']) * 1000 },
        ...(caPem ? { caPem } : {}),
        brokerUrl: typeof values['broker-url'] === 'string' ? values['broker-url'] : kioskListener(url),
        ...(campusNames ? { campus: campusNames } : {}),
      }, consoleProgress());
      console.log(`\n${reportText(result.grant.kioskId, result.report)}`);
      console.log(`\nProvisioned ${result.grant.kioskId}. Start the kiosk: quancun kiosk --config ${configPath}`);
      return result.report.passed ? 0 : 1;
    } catch (err) {
      if (err instanceof QuancunError && err.code.startsWith('ENROL_')) console.error('Nothing was written on the board. Ask the campus for a new enrolment code if this one cannot be used.');
      throw err;
    } finally {
      await stopDevices(devices);
    }
  },
};

/** Each step on its own line, its result under it; a failing step's error is printed by the CLI with its code. */
function consoleProgress(): Progress {
  let n = 0;
  return {
    start: (_step, line) => console.log(`[${++n}] ${line} …`),
    done: (_step, line) => console.log(`    ✔ ${line}`),
  };
}

/** The simulated board's factory wrote its serial in the EEPROM; its PIN pad's memory is in the data dir. */
async function boardDevices(board: string, dataDir: string, kioskId: string, simSerial: string): Promise<Devices> {
  if (board !== 'sim') return createDevices(readJsonFile(board));
  const devices = await createDevices(SIM_BOARD_PROFILE, { simPadMemory: padMemoryPath(dataDir, kioskId) });
  await writeBoardIdentity(devices.eeprom!, { kioskId: '', serial: simSerial, hardwareRevision: 'SIM', provisionedAt: new Date(0) });
  return devices;
}

async function stopDevices(devices: Devices): Promise<void> {
  await Promise.allSettled([devices.pinPad.stop(), devices.printer?.stop(), devices.reader.stop(), devices.io.stop()]);
  devices.touch?.close();
  await devices.display?.close();
}

/** The prompts, on a terminal; without one a missing value is CONFIG_INVALID naming its flag. Ctrl+C stops cleanly. */
function prompter(interactive: boolean) {
  const missing = (what: string) => new QuancunError('CONFIG_INVALID', `${what} is needed: give it as a flag (quancun provision --help)`);
  const cancelled = (err: unknown) => {
    if ((err as Error).name === 'ExitPromptError') throw new QuancunError('CONFIG_INVALID', 'provisioning cancelled; nothing was written');
    throw err;
  };
  const required = (v: string) => (v.trim() ? true : 'required');
  return {
    async input(message: string): Promise<string> {
      if (!interactive) throw missing(message.replace(/:$/, ''));
      const { default: input } = await import('@inquirer/input');
      return (await input({ message, validate: required }).catch(cancelled)).trim();
    },
    async secret(message: string): Promise<string> {
      if (!interactive) throw missing(message.replace(/:$/, ''));
      const { default: password } = await import('@inquirer/password');
      return (await password({ message, mask: '*', validate: required }).catch(cancelled)).trim();
    },
    async confirm(message: string): Promise<boolean> {
      if (!interactive) return true;
      const { default: confirm } = await import('@inquirer/confirm');
      return confirm({ message, default: true }).catch(cancelled);
    },
  };
}

/** The campus broker's mutual-TLS listener beside its provisioning one (deploy/mosquitto/quancun.conf): port 8883. */
function kioskListener(enrolUrl: string): string {
  const url = new URL(enrolUrl);
  if (url.protocol === 'mqtts:') url.port = '8883';
  return url.toString().replace(/\/$/, '');
}
