/**
 * The contract of a shared document's storage (common/store/shared-json.ts), run on a file and on a row of a real
 * PostgreSQL: what the CA registry and the console users rely on when the gateway, its standby and the CLI change
 * them from separate processes. Each `open()` is another process's handle on the same document.
 */
import test from 'ava';
import { z } from 'zod';
import { SharedJson, type DocumentStorage } from '../../common/store/shared-json.ts';

const schema = z.object({ version: z.literal(1), names: z.array(z.string()) });
const empty = () => ({ version: 1 as const, names: [] });

export interface DocumentFixture {
  open(): DocumentStorage;
  /** Puts text where the document is kept as another program would (a hand edit, a damaged file): not through update. */
  spoil(text: string): Promise<void>;
}

export function sharedDocumentContract(name: string, fixture: () => Promise<DocumentFixture>): void {
  const handle = (storage: DocumentStorage, t: { teardown(fn: () => Promise<void>): void }) => {
    t.teardown(() => storage.close());
    return new SharedJson(storage, schema, empty);
  };

  test(`${name}: none yet reads as empty; a change is read back by another handle`, async (t) => {
    const f = await fixture();
    const [a, b] = [handle(f.open(), t), handle(f.open(), t)];
    t.deepEqual(await b.read(), empty());
    t.is(await a.update((d) => (d.names.push('K001'), 'added')), 'added');
    t.deepEqual(await b.read(), { version: 1, names: ['K001'] });
  });

  test(`${name}: cached() sees another handle's change at its next call, and reads nothing new without one`, async (t) => {
    const f = await fixture();
    const [a, b] = [handle(f.open(), t), handle(f.open(), t)];
    const before = await b.cached();
    t.is(await b.cached(), before, 'unchanged: the same value, not read again');
    await a.update((d) => void d.names.push('K002'));
    t.deepEqual(await b.cached(), { version: 1, names: ['K002'] });
  });

  test(`${name}: a change that throws stores nothing`, async (t) => {
    const f = await fixture();
    const a = handle(f.open(), t);
    await a.update((d) => void d.names.push('kept'));
    await t.throwsAsync(a.update((d) => {
      d.names.push('dropped');
      throw new Error('refused');
    }), { message: 'refused' });
    t.deepEqual(await handle(f.open(), t).read(), { version: 1, names: ['kept'] });
  });

  test(`${name}: changes from two handles at once both apply, one after the other`, async (t) => {
    const f = await fixture();
    const handles = Array.from({ length: 2 }, () => handle(f.open(), t));
    await Promise.all(Array.from({ length: 10 }, (_, i) => handles[i % 2]!.update(async (d) => {
      const seen = d.names.length;
      // The other handle's change waits here: without the lock it would read the same length and one name be lost.
      await new Promise((resolve) => setImmediate(resolve));
      d.names.push(`n${seen}`);
    })));
    t.deepEqual((await handle(f.open(), t).read()).names, Array.from({ length: 10 }, (_, i) => `n${i}`));
  });

  test(`${name}: a document that is not JSON, or not of its schema, is CONFIG_INVALID naming where it is`, async (t) => {
    const f = await fixture();
    const storage = f.open();
    const a = handle(storage, t);
    await f.spoil('{ not json');
    const notJson = await t.throwsAsync(a.read(), { code: 'CONFIG_INVALID' } as never);
    t.true(notJson!.message.includes(storage.location), notJson!.message);
    await f.spoil(JSON.stringify({ version: 2, names: [] }));
    await t.throwsAsync(a.read(), { code: 'CONFIG_INVALID', message: /version/ } as never);
    await t.throwsAsync(a.update(() => {}), { code: 'CONFIG_INVALID' } as never);
  });
}
