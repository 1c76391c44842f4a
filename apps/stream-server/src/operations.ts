import type { Backend, Tenant } from './backend.js';
import type { Access, ServerConfig } from './config.js';
import { ApiError, badRequest } from './errors.js';
import { indexEntries, indexValue, normalizeFilters } from './items/store.js';
import type { ItemFilter } from './items/store.js';
import { operationTable } from './operation-table.js';
import { checkIndexValue, checkRequestJson } from './request-json.js';
import type { JsonSchema, Schemas } from './schemas.js';

type Scalar = string | number | boolean;

/** What a caller may send to `items` (REST sends arrays of strings, JSON-RPC any scalars). */
export type ItemsParams = { start?: number; end?: number } & Record<
  string,
  Scalar | Scalar[] | undefined
>;

/** A page of items; `skipped` counts stored entries that were not JSON objects (left out). */
export interface ItemsPage {
  texts: string[];
  values: unknown[];
  skipped: number;
}

/** A stored item that is not a JSON object: its tenant, position in the answer and text. */
export interface CorruptItem {
  tenant: string;
  position: number;
  text: string;
}

export interface FeedParams {
  feed: string;
  userId: string | number;
}

/**
 * One operation of the API, shared by the REST routes and JSON-RPC: its access level, its
 * parameters (by name; JSON-RPC may also pass them by position) and what it does.
 */
export interface Operation {
  method: string;
  access: Access;
  summary: string;
  /** Needs the feeds of the config (absent when the config has none). */
  feeds: boolean;
  params: JsonSchema;
  positional: readonly string[];
  run(tenant: Tenant, params: Record<string, unknown>): Promise<unknown>;
  rest: RestRoute;
}

/**
 * The REST route of an operation and where its params come from: the path's `:names`, then
 * the body (one param, or its fields) and the query string (only when the route declares it,
 * so nothing unvalidated reaches the operation). A path parameter always wins over a body or
 * query field of the same name: the path names what the request acts on.
 */
export interface RestRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** A Fastify path; each `:name` must have a schema in `pathParamSchemas`. */
  url: string;
  tag: 'items' | 'feeds' | 'users';
  summary: string;
  description?: string;
  query?: JsonSchema;
  body?: { param: string; schema: JsonSchema } | { fields: JsonSchema };
  /** The status of a success (default 200). */
  status?: number;
  response: JsonSchema;
  /** Error statuses answered with the common error body. */
  errors: number[];
  otherResponses?: Record<number, JsonSchema>;
  /**
   * A partial answer: 206 with `Retry-After` (seconds) when this returns a number for the
   * result (a feed being rebuilt), else `status`.
   */
  partial?: (result: unknown) => number | undefined;
  /** Answers with this JSON text instead of the serialized result of `run`. */
  json?: (tenant: Tenant, params: Record<string, unknown>) => Promise<string>;
}

export class Operations {
  readonly #config: ServerConfig;
  readonly list: Operation[];
  readonly byMethod: Map<string, Operation>;

  readonly #onCorruptItem: (item: CorruptItem) => void;

  constructor(backend: Backend, schemas: Schemas, onCorruptItem: (item: CorruptItem) => void) {
    this.#config = backend.config;
    this.#onCorruptItem = onCorruptItem;
    const operations = operationTable(
      this,
      schemas,
      backend.config.inactiveFollowers?.retryAfterSeconds ?? 2,
    );
    this.list = operations.filter(
      (operation) => !operation.feeds || backend.config.feeds.length > 0,
    );
    this.byMethod = new Map(this.list.map((operation) => [operation.method, operation]));
  }

  /** Stores an item; its JSON must fit the body limit (JSON-RPC batches can carry bigger ones). */
  async insert(tenant: Tenant, item: Record<string, unknown>): Promise<string> {
    const entries = indexEntries(item, this.#config.itemKeys);
    for (const entry of entries) checkIndexValue(entry.key, entry.value);
    const json = JSON.stringify(item);
    if (Buffer.byteLength(json) > this.#config.limits.bodyBytes) {
      throw new ApiError(
        413,
        'ITEM_TOO_LARGE',
        `an item may have at most ${this.#config.limits.bodyBytes} bytes of JSON`,
      );
    }
    return tenant.items.insert(json, entries);
  }

  /**
   * The matching items, newest first: their stored JSON texts and parsed values. A stored text
   * that is not a JSON object this server could have written (corrupt storage: not JSON, not an
   * object, nested deeper than limits.jsonDepth) is skipped, counted and reported, so the answer
   * is always valid JSON.
   */
  async items(tenant: Tenant, params: ItemsParams): Promise<ItemsPage> {
    const start = params.start ?? 0;
    const end = params.end ?? 20;
    const { pageSize, filterValues } = this.#config.limits;
    if (end < start) throw badRequest(`end (${end}) must not be less than start (${start})`);
    if (end - start > pageSize)
      throw badRequest(`end - start may be at most ${pageSize}, got ${end - start}`);
    const filters: ItemFilter[] = [];
    for (const key of this.#config.itemKeys) {
      const raw = params[key];
      if (raw === undefined) continue;
      const values = (Array.isArray(raw) ? raw : [raw]).map(indexValue);
      if (values.length === 0) throw badRequest(`filter ${key} needs at least one value`);
      for (const value of values) checkIndexValue(key, value);
      filters.push({ key, values });
    }
    const normalized = normalizeFilters(filters);
    const total = normalized.reduce((sum, filter) => sum + filter.values.length, 0);
    if (total > filterValues)
      throw badRequest(`a query may have at most ${filterValues} filter values, got ${total}`);
    const texts = await tenant.items.query({ filters: normalized, start, end });
    const page: ItemsPage = { texts: [], values: [], skipped: 0 };
    texts.forEach((text, index) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
        checkRequestJson(value, this.#config.limits.jsonDepth, 'a stored item');
      } catch {
        value = undefined;
      }
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        page.texts.push(text);
        page.values.push(value);
        return;
      }
      page.skipped++;
      this.#onCorruptItem({ tenant: tenant.id, position: start + index, text });
    });
    return page;
  }
}
