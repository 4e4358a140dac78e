/**
 * Remote commands sent by the gateway itself (for the operator console): signed with a key the gateway holds and
 * published on the gateway's own broker link, whose identity may hold one session only — a second connection as
 * gateway.<name> would take the gateway's session over. The kiosk checks the signer against the campus CA as it does
 * an operator's (docs/remote-commands.md).
 */
import { X509Certificate } from 'node:crypto';
import type { LoadedConfig } from '../../common/config.ts';
import { readConfigFile } from '../../common/config-errors.ts';
import { QuancunError } from '../../common/errors.ts';
import { commonName } from '../../common/mqtt/tls-files.ts';
import { parseCommandArgs, type CommandName, type CommandResult } from '../../common/api/topics.ts';
import type { GatewayEndpoint } from '../link/gateway-endpoint.ts';
import { checkSigner, exchangeCommand, signCommand, type CommandSigner } from './command-sender.ts';

/**
 * The signer the config names (`commands.signer`), else the gateway's broker certificate (`mqtt.tls`), else none.
 * CONFIG_INVALID naming the config file when the files cannot be read, do not belong together or are not a signer's.
 */
export function gatewaySigner(loaded: LoadedConfig): CommandSigner | undefined {
  const files = loaded.config.commands?.signer;
  if (!files) return loaded.tls && { keyPem: loaded.tls.key.toString('utf8'), certificatePem: loaded.tls.cert.toString('utf8') };
  const read = (key: 'cert' | 'key') => readConfigFile(loaded.path, `commands.signer.${key}`, files[key]).toString('utf8');
  const signer = { keyPem: read('key'), certificatePem: read('cert') };
  try {
    checkSigner(signer);
  } catch (err) {
    throw new QuancunError('CONFIG_INVALID', `${loaded.path}: commands.signer: ${(err as Error).message}`);
  }
  const cn = commonName(new X509Certificate(signer.certificatePem)) ?? '';
  if (!/^(gateway|operator)\./.test(cn)) {
    throw new QuancunError('CONFIG_INVALID', `${loaded.path}: commands.signer.cert: its CN is "${cn}", not a gateway's or an operator's (gateway.<name>, operator.<name>)`);
  }
  return signer;
}

export interface KioskCommandsOptions {
  endpoint: GatewayEndpoint;
  signer: CommandSigner | undefined;
  timeoutMs: number;
}

export class KioskCommands {
  constructor(private readonly o: KioskCommandsOptions) {}

  /**
   * Signs and sends `name` to `kioskId` and resolves with its final result (done, refused or failed); COMMAND_TIMEOUT
   * when the kiosk does not answer, LINK_BAD_MESSAGE for arguments the command does not take. A `waiting` result
   * before the final one goes to `onWaiting`.
   */
  async send<C extends CommandName>(kioskId: string, name: C, args: unknown, onWaiting?: (r: CommandResult) => void): Promise<CommandResult> {
    const { signer, endpoint, timeoutMs } = this.o;
    if (!signer) {
      throw new QuancunError('KEY_MISSING', 'the gateway holds no key to sign commands with: set commands.signer in its config, or run it with mqtt.tls');
    }
    const command = signCommand(kioskId, name, parseCommandArgs(name, args), signer);
    return exchangeCommand(command, {
      publish: (c) => endpoint.publishCommand(c),
      listen(deliver) {
        const onResult = (from: string, r: CommandResult) => {
          if (from === kioskId) deliver(r);
        };
        endpoint.on('command-result', onResult);
        return () => endpoint.off('command-result', onResult);
      },
    }, { timeoutMs, ...(onWaiting ? { onResult: onWaiting } : {}) });
  }
}
