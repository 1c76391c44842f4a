import type { Cluster, Redis } from 'ioredis';
import { namingKeys } from '../redis-state.js';
import type { KeyKind } from '../redis-state.js';
import type { IndexEntry, ItemQuery, ItemStore, TenantItemStore } from './store.js';

export type RedisClient = Redis | Cluster;

/**
 * Insert: a new id from INCR, the JSON in a hash, the id in the sorted set of all items and in
 * one sorted set per indexed key/value, scored by the id, all in one atomic script.
 *
 * KEYS: sequence, data hash, all-items zset, index zsets... ARGV: json.
 */
const insertLua = `
local id = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], id, ARGV[1])
for i = 3, #KEYS do
  redis.call('ZADD', KEYS[i], id, id)
end
return id
`;

/**
 * Query: each filter's index sets are combined with ZUNIONSTORE into a temporary key (a filter
 * with one value uses its set as it is), the filters with ZINTERSTORE, then ZREVRANGE slices
 * newest first and HMGET fetches the items. The temporary keys are deleted before the script
 * returns, so no other client ever sees them.
 *
 * KEYS: data hash, all-items zset, result tmp, one tmp per filter, then the index sets of each
 * filter in order. ARGV: start, stop (inclusive), number of filters, values per filter...
 */
const queryLua = `
local start = tonumber(ARGV[1])
local stop = tonumber(ARGV[2])
local filters = tonumber(ARGV[3])
local source = KEYS[2]
local temporary = {}
if filters > 0 then
  local sets = {}
  local k = 4 + filters
  for i = 1, filters do
    local n = tonumber(ARGV[3 + i])
    if n == 1 then
      sets[i] = KEYS[k]
    else
      local args = { KEYS[3 + i], n }
      for j = 0, n - 1 do args[#args + 1] = KEYS[k + j] end
      args[#args + 1] = 'AGGREGATE'
      args[#args + 1] = 'MAX'
      redis.call('ZUNIONSTORE', unpack(args))
      temporary[#temporary + 1] = KEYS[3 + i]
      sets[i] = KEYS[3 + i]
    end
    k = k + n
  end
  if filters == 1 then
    source = sets[1]
  else
    local args = { KEYS[3], filters }
    for i = 1, filters do args[#args + 1] = sets[i] end
    args[#args + 1] = 'AGGREGATE'
    args[#args + 1] = 'MAX'
    redis.call('ZINTERSTORE', unpack(args))
    temporary[#temporary + 1] = KEYS[3]
    source = KEYS[3]
  end
end
local ids = redis.call('ZREVRANGE', source, start, stop)
if #temporary > 0 then redis.call('DEL', unpack(temporary)) end
if #ids == 0 then return {} end
return redis.call('HMGET', KEYS[1], unpack(ids))
`;

type ScriptClient = RedisClient & {
  sfStreamItemsInsert1(numberOfKeys: number, ...args: string[]): Promise<number>;
  sfStreamItemsQuery1(
    numberOfKeys: number,
    ...args: (string | number)[]
  ): Promise<Array<string | null>>;
};

/**
 * The keys of one tenant's items: `<prefix>{<tenant>}:items:...`. The hash tag puts every key of
 * a tenant's items in one cluster slot, so the set operations work on Redis Cluster; index
 * values are URI-encoded, so no value can spell another key.
 */
export class ItemKeys {
  readonly base: string;

  constructor(prefix: string, tenant: string) {
    this.base = `${prefix}{${tenant}}:items:`;
  }

  get sequence(): string {
    return `${this.base}seq`;
  }

  get data(): string {
    return `${this.base}data`;
  }

  get all(): string {
    return `${this.base}all`;
  }

  temporary(n: number): string {
    return `${this.base}tmp:${n}`;
  }

  index(key: string, value: string): string {
    return `${this.base}idx:${key}:${encodeURIComponent(value)}`;
  }
}

class RedisTenantItems implements TenantItemStore {
  readonly #redis: ScriptClient;
  readonly #keys: ItemKeys;

  constructor(redis: ScriptClient, keys: ItemKeys) {
    this.#redis = redis;
    this.#keys = keys;
  }

  async insert(json: string, entries: readonly IndexEntry[]): Promise<string> {
    const keys = [
      this.#keys.sequence,
      this.#keys.data,
      this.#keys.all,
      ...entries.map((e) => this.#keys.index(e.key, e.value)),
    ];
    const id = await namingKeys(
      this.#redis,
      () => this.#kinds(keys),
      () => this.#redis.sfStreamItemsInsert1(keys.length, ...keys, json),
    );
    return String(id);
  }

  async query({ filters, start, end }: ItemQuery): Promise<string[]> {
    if (end <= start) return [];
    const k = this.#keys;
    const keys = [k.data, k.all, k.temporary(0), ...filters.map((_, i) => k.temporary(i + 1))];
    for (const filter of filters)
      for (const value of filter.values) keys.push(k.index(filter.key, value));
    const args = [start, end - 1, filters.length, ...filters.map((f) => f.values.length)];
    const values = await namingKeys(
      this.#redis,
      () => this.#kinds(keys),
      () => this.#redis.sfStreamItemsQuery1(keys.length, ...keys, ...args),
    );
    // An id without data cannot happen (one script writes both); skip it if it ever does.
    return values.filter((value): value is string => typeof value === 'string');
  }

  async count(): Promise<number> {
    return namingKeys(
      this.#redis,
      () => [[this.#keys.all, 'zset']],
      () => this.#redis.zcard(this.#keys.all),
    );
  }

  /** What each key of a script must hold (temporary keys are overwritten, whatever they hold). */
  #kinds(keys: readonly string[]): Array<[string, KeyKind]> {
    return keys
      .filter((key) => !key.startsWith(`${this.#keys.base}tmp:`))
      .map((key) => [
        key,
        key === this.#keys.sequence ? 'counter' : key === this.#keys.data ? 'hash' : 'zset',
      ]);
  }
}

export interface RedisItemStoreOptions {
  redis: RedisClient;
  /** Prepended to every key, before the tenant's hash tag. */
  keyPrefix: string;
}

export function redisItemStore({ redis, keyPrefix }: RedisItemStoreOptions): ItemStore {
  const client = redis as ScriptClient;
  if (typeof (client as unknown as Record<string, unknown>).sfStreamItemsInsert1 !== 'function') {
    client.defineCommand('sfStreamItemsInsert1', { lua: insertLua });
    client.defineCommand('sfStreamItemsQuery1', { lua: queryLua });
  }
  const tenants = new Map<string, RedisTenantItems>();
  return {
    name: 'redis',
    forTenant(tenant) {
      let store = tenants.get(tenant);
      if (!store) {
        store = new RedisTenantItems(client, new ItemKeys(keyPrefix, tenant));
        tenants.set(tenant, store);
      }
      return store;
    },
    async close() {
      tenants.clear();
    },
  };
}
