/**
 * The part of the Reflect metadata API tsyringe (under @peculiar/x509) calls: define, own and inherited lookup. Only
 * installed when no polyfill is present; keyed per target and property on a WeakMap.
 */
type Key = string | symbol | undefined;
const store = new WeakMap<object, Map<Key, Map<unknown, unknown>>>();

const own = (target: object, property: Key) => store.get(target)?.get(property);

const api = {
  defineMetadata(key: unknown, value: unknown, target: object, property?: Key): void {
    let byProperty = store.get(target);
    if (!byProperty) store.set(target, (byProperty = new Map()));
    let entries = byProperty.get(property);
    if (!entries) byProperty.set(property, (entries = new Map()));
    entries.set(key, value);
  },
  getOwnMetadata(key: unknown, target: object, property?: Key): unknown {
    return own(target, property)?.get(key);
  },
  getMetadata(key: unknown, target: object, property?: Key): unknown {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
      const entries = own(t, property);
      if (entries?.has(key)) return entries.get(key);
    }
    return undefined;
  },
};

const reflect = Reflect as unknown as Partial<typeof api>;
if (typeof reflect.getMetadata !== 'function') Object.assign(Reflect, api);
