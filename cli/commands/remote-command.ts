import { readFileSync } from 'node:fs';
import { QuancunError } from '../../common/errors.ts';
import type { Command } from '../command.ts';
import { configOption, readConfig } from '../defaults.ts';
import { integer } from './run.ts';

/** The text of a file an option names; CONFIG_INVALID naming the option and the file when it cannot be read. */
function readOptionFile(option: string, value: unknown): string {
  if (typeof value !== 'string') throw new QuancunError('CONFIG_INVALID', `--${option} is required`);
  try {
    return readFileSync(value, 'utf8');
  } catch (err) {
    throw new QuancunError('CONFIG_INVALID', `--${option}: cannot read ${value} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

export const remoteCommand: Command = {
  name: 'command',
  summary: 'send a signed remote command to a kiosk and print its result: quancun command <kioskId> <name>',
  details: [
    'Signs the command with --key (EC P-256) and sends it with --cert (issued by the campus CA, CN operator.<name>:',
    '`quancun ca issue operator`), which is also its identity on the broker of the gateway config (mqtt.url). The kiosk checks signature, certificate,',
    'expiry and nonce before it acts (docs/remote-commands.md). Commands: out-of-service --reason <text>, in-service,',
    'restart, resync, print-test, refresh-announcements, set-log-level --level <debug|info|warn|error>, diagnostics.',
    'A kiosk in the middle of a card session answers "waiting" first and acts when it ends. Prints the final result as',
    'JSON on stdout; exit status 0 when done, 1 when refused, failed or not answered in --timeout seconds.',
  ].join('\n'),
  options: {
    config: configOption,
    key: { type: 'string', description: 'the signing key (PEM, EC P-256)' },
    cert: { type: 'string', description: 'the certificate for that key (PEM), issued by the campus CA' },
    reason: { type: 'string', description: 'out-of-service: the reason the kiosk screen shows' },
    level: { type: 'string', description: 'set-log-level: debug, info, warn or error' },
    ttl: { type: 'string', description: 'seconds the command stays valid', default: '300' },
    timeout: { type: 'string', description: 'seconds to wait for the final result', default: '60' },
  },
  async run(v, positionals) {
    const [kioskId, name, ...extra] = positionals;
    if (!kioskId || !name || extra.length > 0) throw new QuancunError('CONFIG_INVALID', 'usage: quancun command <kioskId> <name> [--reason text] [--level level]');
    const { isCommandName, parseCommandArgs, commandNames } = await import('../../common/api/topics.ts');
    if (!isCommandName(name)) throw new QuancunError('COMMAND_UNKNOWN', `unknown command ${name} (commands: ${commandNames.join(', ')})`);
    const args = parseCommandArgs(name, {
      ...(typeof v.reason === 'string' ? { reason: v.reason } : {}), ...(typeof v.level === 'string' ? { level: v.level } : {}),
    });
    const ttlSeconds = integer('ttl', v.ttl, 1, 24 * 3600);
    const timeoutMs = integer('timeout', v.timeout, 1, 3600) * 1000;
    const signer = { keyPem: readOptionFile('key', v.key), certificatePem: readOptionFile('cert', v.cert) };
    const { brokerUrl } = await import('../../board/kiosk-config.ts');
    const { checkSigner, sendCommand, signCommand } = await import('../../gateway/commands/command-sender.ts');
    checkSigner(signer);
    const { X509Certificate } = await import('node:crypto');
    const { commonName } = await import('../../common/mqtt/tls-files.ts');
    if (!commonName(new X509Certificate(signer.certificatePem))?.startsWith('operator.')) {
      throw new QuancunError('CONFIG_INVALID', '--cert: an operator\'s certificate (CN operator.<name>, `quancun ca issue operator`) is needed: the gateway\'s own would take over the gateway\'s session on the broker');
    }
    const loaded = readConfig(v);
    const url = brokerUrl(loaded);
    const command = signCommand(kioskId, name, args, signer, { ttlSeconds });
    const result = await sendCommand(command, signer, {
      url, timeoutMs, ...(loaded.tls ? { ca: loaded.tls.ca } : {}), onResult: (r) => console.error(`quancun command: ${kioskId} ${name}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`),
    });
    console.log(JSON.stringify(result));
    return result.status === 'done' ? 0 : 1;
  },
};
