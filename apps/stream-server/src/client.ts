/**
 * A typed client of the stream server over `fetch` (Node 18+, browsers, Deno, Bun): the REST
 * API (`StreamClient`) and JSON-RPC 2.0 (`RpcClient`). No dependencies; only types are imported
 * from the server.
 *
 * @example
 * const stream = new StreamClient({ baseUrl: 'http://127.0.0.1:8080', apiKey: process.env.STREAM_KEY! });
 * await stream.insert({ kind: 'friend', user: 291, friend: 23 });
 * await stream.items({ user: [23, 291], start: 1, end: 3 });
 */
import type { ActivityInput, ActivityOutput, AggregatedOutput } from './feeds/activity-json.js';
import type { FeedRead } from './feeds/tenant-feeds.js';

export type { ActivityInput, ActivityOutput, AggregatedOutput, FeedRead };

export type FilterValue = string | number | boolean;

/** AwesomeStream's `items(start, end, **filters)`: a key with one value means equality, with several any of them. */
export type ItemsQuery = { start?: number; end?: number } & {
  [key: string]: FilterValue | FilterValue[] | undefined;
};

export interface FeedPageOptions {
  offset?: number;
  limit?: number;
  idLt?: string;
  idLte?: string;
  idGt?: string;
  idGte?: string;
  /** Only activities of this verb (a feed declaring index.verb). */
  verb?: string;
  /** `board: 'b12'`: the value of the feed's indexed extraContext field. */
  [field: string]: string | number | undefined;
  /** A ranking of the feed; page on with `cursor` (the previous page's `nextCursor`). */
  ranking?: string;
  cursor?: string;
}

export interface MarkOptions {
  seen?: boolean;
  read?: boolean;
  ids?: string[];
}

export interface Counts {
  unseen: number;
  unread: number;
}

export interface Published {
  id: string;
  activity: ActivityOutput;
  fanoutTasks?: number;
}

export interface FollowResult {
  following: boolean;
  changed: boolean;
}

export interface ClientOptions {
  /** e.g. `http://127.0.0.1:8080` */
  baseUrl: string;
  apiKey: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

/** The names of JSON-RPC error codes, for errors whose `data` carries no REST code. */
const rpcCodeNames: Record<number, string> = {
  [-32700]: 'PARSE_ERROR',
  [-32600]: 'INVALID_REQUEST',
  [-32601]: 'METHOD_NOT_FOUND',
  [-32602]: 'INVALID_PARAMS',
  [-32603]: 'INTERNAL_ERROR',
  [-32000]: 'SERVER_ERROR',
  [-32001]: 'UNAUTHORIZED',
  [-32003]: 'FORBIDDEN',
  [-32004]: 'NOT_FOUND',
  [-32013]: 'TOO_LARGE',
};

/**
 * An error response of the server. `code` is what the server answered: the REST body's code
 * (`READ_ONLY_KEY`), or the JSON-RPC error code (`-32602`). `restCode` is always a string: the
 * REST code, for JSON-RPC the REST code in `error.data` when the server gives one, else the
 * JSON-RPC code's name (`METHOD_NOT_FOUND`). Not an `SfError`: this client has no dependencies.
 */
export class StreamServerError extends Error {
  override readonly name = 'StreamServerError';
  readonly status: number;
  readonly code: string | number;
  readonly restCode: string;
  readonly body: unknown;

  constructor(
    status: number,
    code: string | number,
    message: string,
    body: unknown,
    restCode: string = typeof code === 'string' ? code : (rpcCodeNames[code] ?? `RPC_${code}`),
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.restCode = restCode;
    this.body = body;
  }

  /** The error of a JSON-RPC response. */
  static fromRpc(error: { code: number; message: string; data?: unknown }, body: unknown) {
    const data = error.data as { code?: unknown } | undefined;
    const restCode = typeof data?.code === 'string' ? data.code : undefined;
    return new StreamServerError(200, error.code, error.message, body, restCode);
  }
}

type UserId = string | number;

class Transport {
  readonly #base: string;
  readonly #apiKey: string;
  readonly #fetch: typeof fetch;
  readonly #timeout: number;

  constructor(options: ClientOptions) {
    if (!options || typeof options.baseUrl !== 'string')
      throw new TypeError('the client needs { baseUrl, apiKey }');
    this.#base = options.baseUrl.replace(/\/+$/, '');
    this.#apiKey = options.apiKey;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeout = options.timeoutMs ?? 10_000;
  }

  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    query?: URLSearchParams,
  ): Promise<{ status: number; data: T }> {
    const url = `${this.#base}${path}${query && [...query].length > 0 ? `?${query.toString()}` : ''}`;
    const headers: Record<string, string> = {
      'x-api-key': this.#apiKey,
      accept: 'application/json',
    };
    const init: RequestInit = { method, headers, signal: AbortSignal.timeout(this.#timeout) };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await this.#fetch(url, init);
    const text = await response.text();
    let data: unknown = null;
    if (text.length > 0) {
      try {
        data = JSON.parse(text);
      } catch {
        throw new StreamServerError(
          response.status,
          'INVALID_RESPONSE',
          `the server answered ${response.status} with non-JSON: ${text.slice(0, 200)}`,
          text,
        );
      }
    }
    if (!response.ok) {
      const error = data as { code?: string; message?: string } | null;
      throw new StreamServerError(
        response.status,
        error?.code ?? 'HTTP_ERROR',
        error?.message ?? `HTTP ${response.status}`,
        data,
      );
    }
    return { status: response.status, data: data as T };
  }
}

const segment = (value: UserId | string) => encodeURIComponent(String(value));

/** The REST API. */
export class StreamClient {
  readonly #transport: Transport;

  constructor(options: ClientOptions) {
    this.#transport = new Transport(options);
  }

  async #call<T>(
    method: string,
    path: string,
    body?: unknown,
    query?: URLSearchParams,
  ): Promise<T> {
    return (await this.#transport.request<T>(method, path, body, query)).data;
  }

  /** Inserts an item (any JSON object); returns its id. */
  async insert(item: Record<string, unknown>): Promise<string> {
    return (await this.#call<{ id: string }>('POST', '/items', item)).id;
  }

  /** Items newest first, `items[start:end]` (default 0..20), filtered by indexed keys. */
  async items<T = Record<string, unknown>>(query: ItemsQuery = {}): Promise<T[]> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined) continue;
      for (const one of Array.isArray(value) ? value : [value]) params.append(key, String(one));
    }
    return (await this.#call<{ items: T[] }>('GET', '/items', undefined, params)).items;
  }

  async readFeed(feed: string, userId: UserId, page: FeedPageOptions = {}): Promise<FeedRead> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(page))
      if (value !== undefined) params.set(key, String(value));
    return this.#call('GET', `/feeds/${segment(feed)}/${segment(userId)}`, undefined, params);
  }

  /** Entries of a user's feed per verb (`by` 'verb', the default) or per indexed field value. */
  async countFeed(
    feed: string,
    userId: UserId,
    by = 'verb',
  ): Promise<{ feed: string; userId: string; by: string; counts: Record<string, number> }> {
    const params = new URLSearchParams({ by });
    return this.#call(
      'GET',
      `/feeds/${segment(feed)}/${segment(userId)}/counts`,
      undefined,
      params,
    );
  }

  /** Adds an activity to one user's feed (no fanout). */
  async addToFeed(feed: string, userId: UserId, activity: ActivityInput): Promise<Published> {
    return this.#call('POST', `/feeds/${segment(feed)}/${segment(userId)}/activities`, activity);
  }

  async removeFromFeed(
    feed: string,
    userId: UserId,
    activityId: string,
  ): Promise<{ removed: number }> {
    return this.#call(
      'DELETE',
      `/feeds/${segment(feed)}/${segment(userId)}/activities/${segment(activityId)}`,
    );
  }

  /** Marks notifications seen (default) and/or read; all of them unless `ids` is given. */
  async markFeed(feed: string, userId: UserId, options: MarkOptions = {}): Promise<Counts> {
    return this.#call('POST', `/feeds/${segment(feed)}/${segment(userId)}/mark`, options);
  }

  /** Publishes a user's activity to their feed and their followers' feeds. */
  async publish(userId: UserId, activity: ActivityInput): Promise<Published> {
    return this.#call('POST', `/users/${segment(userId)}/activities`, activity);
  }

  async unpublish(
    userId: UserId,
    activityId: string,
  ): Promise<{ removed: boolean; fanoutTasks: number }> {
    return this.#call('DELETE', `/users/${segment(userId)}/activities/${segment(activityId)}`);
  }

  async follow(userId: UserId, targetId: UserId): Promise<FollowResult> {
    return this.#call('PUT', `/users/${segment(userId)}/following/${segment(targetId)}`);
  }

  async unfollow(userId: UserId, targetId: UserId): Promise<FollowResult> {
    return this.#call('DELETE', `/users/${segment(userId)}/following/${segment(targetId)}`);
  }

  async followers(userId: UserId): Promise<string[]> {
    return (await this.#call<{ userIds: string[] }>('GET', `/users/${segment(userId)}/followers`))
      .userIds;
  }

  async following(userId: UserId): Promise<string[]> {
    return (await this.#call<{ userIds: string[] }>('GET', `/users/${segment(userId)}/following`))
      .userIds;
  }

  async health(): Promise<{ status: string; storage: string; version: string }> {
    return this.#call('GET', '/health');
  }
}

/** One call of a JSON-RPC batch. */
export interface RpcCall {
  method: string;
  params?: unknown[] | Record<string, unknown>;
  /** Send as a notification (no response). */
  notify?: boolean;
}

export type RpcOutcome =
  | { ok: true; result: unknown }
  | { ok: false; error: { code: number; message: string; data?: unknown } };

/** JSON-RPC 2.0 at POST /rpc, with AwesomeStream's `insert` and `items`. */
export class RpcClient {
  readonly #transport: Transport;
  #nextId = 1;

  constructor(options: ClientOptions) {
    this.#transport = new Transport(options);
  }

  /** Calls one method; a JSON-RPC error becomes a StreamServerError with the JSON-RPC code. */
  async call<T = unknown>(
    method: string,
    params?: unknown[] | Record<string, unknown>,
  ): Promise<T> {
    const id = this.#nextId++;
    const { data } = await this.#transport.request<{
      result?: T;
      error?: { code: number; message: string; data?: unknown };
    }>('POST', '/rpc', {
      jsonrpc: '2.0',
      id,
      method,
      ...(params === undefined ? {} : { params }),
    });
    if (data.error) throw StreamServerError.fromRpc(data.error, data);
    return data.result as T;
  }

  /** Sends a batch; outcomes come back in the order of the calls that expect one. */
  async batch(calls: readonly RpcCall[]): Promise<RpcOutcome[]> {
    const ids: number[] = [];
    const body = calls.map((call) => {
      const request: Record<string, unknown> = { jsonrpc: '2.0', method: call.method };
      if (call.params !== undefined) request.params = call.params;
      if (!call.notify) {
        const id = this.#nextId++;
        ids.push(id);
        request.id = id;
      }
      return request;
    });
    const { data } = await this.#transport.request<Array<{
      id: number;
      result?: unknown;
      error?: { code: number; message: string };
    }> | null>('POST', '/rpc', body);
    const byId = new Map((data ?? []).map((response) => [response.id, response]));
    return ids.map((id) => {
      const response = byId.get(id);
      if (!response)
        return { ok: false, error: { code: -32603, message: `no response for request ${id}` } };
      return response.error
        ? { ok: false, error: response.error }
        : { ok: true, result: response.result };
    });
  }

  async insert(item: Record<string, unknown>): Promise<string> {
    return (await this.call<{ id: string }>('insert', [item])).id;
  }

  async items<T = Record<string, unknown>>(query: ItemsQuery = {}): Promise<T[]> {
    return this.call<T[]>('items', query);
  }
}
