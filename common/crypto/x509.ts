/**
 * @peculiar/x509 on Node's WebCrypto. The library resolves its algorithms through tsyringe, which refuses to load
 * without the Reflect metadata API (`reflect-metadata` is not a dependency yet); the three calls tsyringe makes are
 * provided here, on a WeakMap, before the library loads. Import x509 from here, never from the package directly.
 */
import { webcrypto } from 'node:crypto';
import './reflect-metadata.ts';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
