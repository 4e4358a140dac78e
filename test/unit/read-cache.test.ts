import test from 'ava';
import type { RawEntries } from '../../common/store/durable-store.ts';
import { ReadCache } from '../../common/store/read-cache.ts';

const CARD = 'gw/card-open/3103/';

/** A database stand-in whose reads are counted and, when asked, held until released. */
function database(entries: RawEntries = [[`${CARD}K001-1`, '"K001-1"']]) {
  const db = { reads: 0, entries };
  const read = () => {
    db.reads++;
    return Promise.resolve(db.entries);
  };
  const held = () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    return { read: async () => (await gate, read()), release };
  };
  return { db, read, held };
}

test('a list read again comes from memory; a write under its prefix, or above it, makes the next one read again', async (t) => {
  const cache = new ReadCache();
  const { db, read } = database();
  await cache.list(CARD, {}, read);
  t.deepEqual(await cache.list(CARD, {}, read), db.entries);
  t.is(db.reads, 1);
  await cache.write([`${CARD}K001-2`], async () => {});
  await cache.list(CARD, {}, read);
  t.is(db.reads, 2);
  await cache.write(['gw/card-open/9999/K002-1', 'gw/load/K001-2'], async () => {});
  await cache.list(CARD, {}, read);
  t.is(db.reads, 2, 'writes of other cards and other machines keep it');
});

test('a list read while a write under it starts or ends is not kept', async (t) => {
  const cache = new ReadCache();
  const { db, read, held } = database();

  // The write starts while the list is being read.
  const first = held();
  const reading = cache.list(CARD, {}, first.read);
  await cache.write([`${CARD}K001-2`], async () => {});
  first.release();
  await reading;
  await cache.list(CARD, {}, read);
  t.is(db.reads, 2);

  // The list is read while the write runs, and ends after it.
  let finish!: () => void;
  const writing = cache.write([`${CARD}K001-3`], () => new Promise<void>((resolve) => (finish = resolve)));
  const second = held();
  const during = cache.list(CARD, {}, second.read);
  finish();
  await writing;
  second.release();
  await during;
  await cache.list(CARD, {}, read);
  t.is(db.reads, 4, 'read again after the write ended');
});

test('a failed write drops the list all the same, and a long list is never kept', async (t) => {
  const cache = new ReadCache();
  const { db, read } = database();
  await cache.list(CARD, {}, read);
  await t.throwsAsync(cache.write([`${CARD}K001-2`], () => Promise.reject(new Error('refused'))));
  await cache.list(CARD, {}, read);
  t.is(db.reads, 2);

  const many = database(Array.from({ length: 17 }, (_, i) => [`gw/load/K001-${i}`, '{}'] as const));
  await cache.list('gw/load/', {}, many.read);
  await cache.list('gw/load/', {}, many.read);
  t.is(many.db.reads, 2);
});

test('only lists of a whole key path are kept, and clear() forgets every one', async (t) => {
  const cache = new ReadCache();
  const { db, read } = database();
  for (let i = 0; i < 2; i++) await cache.list('gw/card-open/3103', {}, read);
  t.is(db.reads, 2, 'a prefix that does not end at a / is read each time');
  for (let i = 0; i < 2; i++) await cache.list(CARD, { limit: 1 }, read);
  t.is(db.reads, 4, 'a window of a prefix is read each time');
  db.reads = 0;
  await cache.list(CARD, {}, read);
  cache.clear();
  await cache.list(CARD, {}, read);
  t.is(db.reads, 2);
});

test('a value is kept, an absent one too, until a write of that very key', async (t) => {
  const cache = new ReadCache();
  let reads = 0;
  let stored: string | null = null;
  const read = () => (reads++, Promise.resolve(stored));
  t.is(await cache.get('gw/load/K001-1', read), null);
  t.is(await cache.get('gw/load/K001-1', read), null);
  t.is(reads, 1);
  await cache.write(['gw/load/K001-2', 'gw/card-open/3103/K001-1'], async () => {});
  await cache.get('gw/load/K001-1', read);
  t.is(reads, 1, 'writes of other keys keep it');
  await cache.write(['gw/load/K001-1'], async () => void (stored = '{"state":"created"}'));
  t.is(await cache.get('gw/load/K001-1', read), '{"state":"created"}');
  t.is(reads, 2);
});

test('the least recently used read goes first when too many are kept', async (t) => {
  const cache = new ReadCache(2);
  let reads = 0;
  const read = () => (reads++, Promise.resolve('1'));
  await cache.get('a', read);
  await cache.get('b', read);
  await cache.get('a', read);
  await cache.get('c', read);
  t.is(reads, 3);
  await cache.get('a', read);
  t.is(reads, 3, 'a was used more recently than b');
  await cache.get('b', read);
  t.is(reads, 4);
});
