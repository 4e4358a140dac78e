/**
 * Sends a signed remote command to a kiosk and waits for its final result (docs/remote-commands.md). The command is
 * signed with the sender's key (ECDSA P-256, SHA-256, DER) over common/api/topics.ts `signedBytes`, and carries the
 * sender's certificate so the kiosk can check it against the campus CA. A `waiting` result (a card session in
 * progress at the kiosk) is passed on and the wait goes on until the final one or the timeout (COMMAND_TIMEOUT).
 */
import { createPrivateKey, randomBytes, randomUUID, sign, X509Certificate } from 'node:crypto';
import { QuancunError } from '../../common/errors.ts';
import { connectOnce } from '../../common/mqtt/connect.ts';
import { commonName } from '../../common/mqtt/tls-files.ts';
import {
  commandEnvelopeSchema, parseCommandResult, signedBytes, topics, type CommandArgs, type CommandName, type CommandResult, type SignedCommand,
} from '../../common/api/topics.ts';

export interface CommandSigner {
  /** PEM private key, EC P-256. */
  keyPem: string;
  /** PEM certificate for that key, issued by the campus CA, CN gateway.<name> or operator.<name>. */
  certificatePem: string;
}

/** CONFIG_INVALID naming what is wrong when the key is not EC P-256 or the certificate is not for it. */
export function checkSigner(signer: CommandSigner): void {
  let key;
  let cert;
  try {
    key = createPrivateKey(signer.keyPem);
    cert = new X509Certificate(signer.certificatePem);
  } catch (err) {
    throw new QuancunError('CONFIG_INVALID', `signing key or certificate cannot be read: ${(err as Error).message}`);
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new QuancunError('CONFIG_INVALID', 'the signing key is not an EC P-256 (prime256v1) key');
  }
  if (!cert.checkPrivateKey(key)) throw new QuancunError('CONFIG_INVALID', 'the certificate is not for the signing key');
}

export function signCommand<C extends CommandName>(
  kioskId: string, command: C, args: CommandArgs<C>, signer: CommandSigner, o: { ttlSeconds?: number; now?: Date } = {},
): SignedCommand {
  const now = o.now ?? new Date();
  const unsigned = commandEnvelopeSchema.parse({
    id: randomUUID(), kioskId, command, args,
    issuedAt: now.toISOString(), expiresAt: new Date(now.getTime() + (o.ttlSeconds ?? 300) * 1000).toISOString(),
    nonce: randomBytes(18).toString('base64url'), issuer: { certificate: signer.certificatePem },
  });
  const signature = sign('sha256', signedBytes(unsigned), { key: signer.keyPem, dsaEncoding: 'der' }).toString('base64');
  return { ...unsigned, issuer: { certificate: signer.certificatePem }, signature };
}

export interface SendOptions {
  url: string;
  /** For an mqtts:// broker: the campus CA (PEM); the sender's certificate and key are its TLS client identity too. */
  ca?: string | Buffer;
  timeoutMs?: number;
  /** Each result before the final one (`waiting`). */
  onResult?: (result: CommandResult) => void;
}

/** Where a command goes out and its results come back: a client for one exchange, or the gateway's own link. */
export interface CommandChannel {
  publish(command: SignedCommand): Promise<void>;
  /** Hands every command result the channel receives to `deliver` until the function it returns is called. */
  listen(deliver: (result: CommandResult) => void): () => void;
}

/**
 * Publishes `command` on `channel` and resolves with its final result (done, refused or failed); each `waiting` result
 * before it goes to `onResult`. COMMAND_TIMEOUT when no final result came within `timeoutMs`.
 */
export async function exchangeCommand(
  command: SignedCommand, channel: CommandChannel, o: Pick<SendOptions, 'timeoutMs' | 'onResult'> = {},
): Promise<CommandResult> {
  let stop = () => {};
  const final = new Promise<CommandResult>((resolve) => {
    stop = channel.listen((result) => {
      if (result.id !== command.id) return;
      if (result.status === 'waiting') o.onResult?.(result);
      else resolve(result);
    });
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await channel.publish(command);
    const timeoutMs = o.timeoutMs ?? 30_000;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QuancunError('COMMAND_TIMEOUT', `no final result from ${command.kioskId} for ${command.command} within ${timeoutMs} ms`, { id: command.id })), timeoutMs);
    });
    return await Promise.race([final, timeout]);
  } finally {
    clearTimeout(timer);
    stop();
  }
}

/**
 * Publishes `command` to its kiosk on a connection of its own and resolves with the final result. The sender is on the
 * broker as its certificate's CN (common/api/access.ts), which is also its client id.
 */
export async function sendCommand(command: SignedCommand, signer: CommandSigner, o: SendOptions): Promise<CommandResult> {
  const client = await connectOnce({
    url: o.url,
    identity: commonName(new X509Certificate(signer.certificatePem)) ?? '',
    tls: { ...(o.ca ? { ca: o.ca } : {}), cert: signer.certificatePem, key: signer.keyPem },
    connectTimeoutMs: 30_000, // mqtt.js's own default
  });
  try {
    await client.subscribeAsync(topics.commandResult(command.kioskId, command.command), { qos: 1 });
    return await exchangeCommand(command, {
      publish: async (c) => void (await client.publishAsync(topics.command(c.kioskId, c.command), JSON.stringify(c), { qos: 1 })),
      listen(deliver) {
        const onMessage = (_topic: string, payload: Buffer) => {
          let result: CommandResult;
          try {
            result = parseCommandResult(payload);
          } catch {
            return; // a malformed result is not ours to answer; the timeout ends the wait
          }
          deliver(result);
        };
        client.on('message', onMessage);
        return () => client.off('message', onMessage);
      },
    }, o);
  } finally {
    await client.endAsync();
  }
}
