import { once } from 'node:events';
import { formatYuan } from '../../common/money.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Command } from '../command.ts';
import { configOption, readConfig } from '../defaults.ts';

export const simCard: Command = {
  name: 'sim card',
  summary: 'present a virtual card from the config to a PC/SC reader through vpcd, until interrupted',
  details: [
    'Personalises the card as the issuer would (keys diversified from the config\'s master keys) and connects it to',
    'a vsmartcard vpcd slot, where pcscd shows it as a card in "Virtual PCD 00 0n". A kiosk on the PC/SC backend',
    '(`quancun sim load --reader pcsc`) then reads it like any card. Ctrl-C takes the card away; its balance and',
    'records live in this process only.',
  ].join('\n'),
  options: {
    card: { type: 'string', description: 'ASN of the card (default: the first in the config)' },
    host: { type: 'string', description: 'vpcd host', default: '127.0.0.1' },
    port: { type: 'string', description: 'vpcd slot port (35963 is slot 0, 35964 slot 1)', default: '35963' },
    config: configOption,
  },
  async run(v) {
    const loaded = readConfig(v);
    const { issueSimulationCards } = await import('../../sim/card/config-cards.ts');
    const { VpcdConnector } = await import('../../sim/card/vpcd-connector.ts');
    const cards = issueSimulationCards(loaded.config);
    const asn = v.card ? String(v.card).toUpperCase() : cards.keys().next().value;
    const card = asn ? cards.get(asn) : undefined;
    if (!card) throw new QuancunError('CARD_UNKNOWN', `no card ${asn ?? ''} in the simulation section of ${loaded.path}`);
    const port = Number(v.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new QuancunError('CONFIG_INVALID', `--port must be a TCP port, not ${String(v.port)}`);
    const connector = new VpcdConnector({ host: String(v.host), port });
    try {
      await connector.insert(card);
    } catch (err) {
      throw new QuancunError('READER_UNAVAILABLE', `cannot reach vpcd at ${String(v.host)}:${port} (is pcscd with vsmartcard-vpcd running?): ${(err as Error).message}`);
    }
    console.log(`card ${asn!.slice(0, 4)}…${asn!.slice(-4)} (balance ${formatYuan(card.state().balance)}) is in vpcd ${String(v.host)}:${port}; Ctrl-C to take it away`);
    await Promise.race([once(process, 'SIGINT'), once(process, 'SIGTERM')]);
    await connector.remove();
    console.log(`card taken away; balance ${formatYuan(card.state().balance)}`);
    return 0;
  },
};
