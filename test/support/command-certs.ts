/**
 * Certificates for remote-command tests, made with the openssl CLI (test-pki.ts, independent of our code): a campus
 * CA, a gateway.<x> and an operator.<x> signer it issued, a kiosk-like CN it issued (not a signer), and an outsider CA
 * with a gateway.<x> signer of its own.
 */
import type { ExecutionContext } from 'ava';
import type { CommandSigner } from '../../gateway/commands/command-sender.ts';
import { makePki } from './test-pki.ts';

export interface CommandCerts {
  /** The campus CA certificate file: the kiosk's commands.trustedCa. */
  caPath: string;
  gateway: CommandSigner;
  operator: CommandSigner;
  /** Issued by the campus CA, but CN K002: a kiosk, not a signer. */
  kiosk: CommandSigner;
  /** CN gateway.outsider, issued by another CA. */
  outsider: CommandSigner;
  /** Files of the operator signer, for the CLI. */
  operatorFiles: { key: string; cert: string };
  /** Files of the gateway signer: the gateway config's commands.signer. */
  gatewayFiles: { key: string; cert: string };
}

export async function makeCommandCerts(t: ExecutionContext): Promise<CommandCerts> {
  const campus = await makePki(t);
  const outsider = await makePki(t, 'Outsider CA');
  return {
    caPath: campus.ca,
    gateway: campus.signer('gateway.test'),
    operator: campus.signer('operator.alice'),
    kiosk: campus.signer('K002'),
    outsider: outsider.signer('gateway.outsider'),
    operatorFiles: campus.client('operator.alice'),
    gatewayFiles: (({ cert, key }) => ({ cert, key }))(campus.client('gateway.test')),
  };
}
