import { InvalidArgumentError } from '@sf/activity';
import { decodeMarkerEvent } from '@sf/feeds/backend';
import type {
  MarkerCounts,
  MarkerEvent,
  MarkerLists,
  MarkerStorage,
  MarkerUpdate,
} from '@sf/feeds/backend';
import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './redis-runner.js';
import type { RedisStorageContext } from './context.js';
import { markersArgs } from './args.js';
import { RedisReplyError, toStorageError } from './errors.js';

function counts(reply: unknown, context: { operation: string; key?: string }): MarkerCounts {
  if (Array.isArray(reply) && reply.length === 2 && reply.every((n) => typeof n === 'number')) {
    return { unseen: reply[0] as number, unread: reply[1] as number };
  }
  throw new RedisReplyError(
    context,
    `expected [unseen, unread] counts, got ${JSON.stringify(reply)}`,
  );
}

/**
 * Notification markers as Stream Framework's RedisListsStorage keeps them: two lists of
 * aggregated ids per feed (`list:<key>:unseen`, `list:<key>:unread`), newest last, capped.
 * `update` is one script call that applies the change, returns both counts and publishes them
 * on the counts channel when anything changed.
 */
export class RedisMarkerStorage implements MarkerStorage {
  readonly #context: RedisStorageContext;
  readonly #channel: string | null;
  readonly #subscriber: CountsSubscriber | null;

  constructor(
    context: RedisStorageContext,
    channel: string | null,
    subscriber: CountsSubscriber | null,
  ) {
    this.#context = context;
    this.#channel = channel;
    this.#subscriber = subscriber;
  }

  /** The two lists; a script needs them in one cluster slot, plain reads do not. */
  #lists(key: string, forScript = false): [string, string] {
    return this.#context.keys.markers(key, forScript && this.#context.runner.isCluster);
  }

  async update(key: string, update: MarkerUpdate, maxLength: number): Promise<MarkerCounts> {
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
      throw new InvalidArgumentError(
        `markers maxLength must be a positive integer, got ${String(maxLength)}`,
        {
          path: 'maxLength',
          value: maxLength,
        },
      );
    }
    const [unseen, unread] = this.#lists(key, true);
    const args = markersArgs(update, maxLength, this.#channel, key);
    const context = { operation: 'markers.update', key: unseen };
    return this.#context.runner.script(context, 'markers', [unseen, unread], args);
  }

  async get(key: string): Promise<MarkerLists> {
    const [unseen, unread] = this.#lists(key);
    const context = { operation: 'markers.get', key: unseen };
    const [seenList, readList] = await this.#context.runner.batch(context, [
      { key: unseen, enqueue: (pipeline) => void pipeline.lrange(unseen, 0, -1) },
      { key: unread, enqueue: (pipeline) => void pipeline.lrange(unread, 0, -1) },
    ]);
    const asList = (value: unknown): string[] => {
      if (Array.isArray(value) && value.every((id) => typeof id === 'string')) return value;
      throw new RedisReplyError(context, `expected a list, got ${JSON.stringify(value)}`);
    };
    return { unseen: asList(seenList), unread: asList(readList) };
  }

  async counts(key: string): Promise<MarkerCounts> {
    const [unseen, unread] = this.#lists(key);
    const context = { operation: 'markers.counts', key: unseen };
    return counts(
      await this.#context.runner.batch(context, [
        { key: unseen, enqueue: (pipeline) => void pipeline.llen(unseen) },
        { key: unread, enqueue: (pipeline) => void pipeline.llen(unread) },
      ]),
      context,
    );
  }

  async delete(key: string): Promise<void> {
    await this.update(key, { clear: { unseen: true, unread: true } }, 1);
  }

  async subscribe(listener: (event: MarkerEvent) => void): Promise<() => Promise<void>> {
    if (typeof listener !== 'function') {
      throw new InvalidArgumentError('subscribe takes a listener function', {
        path: 'listener',
        value: listener,
      });
    }
    if (!this.#subscriber) {
      // The mistake is the storage's option, not this call's argument: the path names the option.
      throw new InvalidArgumentError(
        'this Redis storage was created with countsChannel: null, so marker counts are not published',
        {
          path: 'redisStorage.countsChannel',
          value: null,
        },
      );
    }
    return this.#subscriber.add(listener);
  }
}

/**
 * One pub/sub connection per backend (a `duplicate()` of the client), shared by every listener
 * and closed when the last one leaves. ioredis resubscribes after reconnecting.
 */
export class CountsSubscriber {
  readonly #client: RedisClient;
  readonly #channel: string;
  /** Raw message listeners: marker count events and rebuild events share the channel. */
  readonly #listeners = new Set<(message: string) => void>();
  #connection: Redis | Cluster | null = null;
  #ready: Promise<unknown> | null = null;

  constructor(client: RedisClient, channel: string) {
    this.#client = client;
    this.#channel = channel;
  }

  /** The channel's name (what rebuild events are published on too). */
  get channel(): string {
    return this.#channel;
  }

  add(listener: (event: MarkerEvent) => void): Promise<() => Promise<void>> {
    return this.listen('markers.subscribe', (message) => {
      const event = decodeMarkerEvent(message);
      if (event) listener(event);
    });
  }

  /** Hears every message of the channel (each listener decodes what it understands). */
  async listen(
    operation: string,
    listener: (message: string) => void,
  ): Promise<() => Promise<void>> {
    const wrapped = (message: string) => listener(message);
    this.#listeners.add(wrapped);
    try {
      await this.#connect();
    } catch (error) {
      this.#listeners.delete(wrapped);
      await this.#closeIfUnused();
      throw toStorageError(error, { operation, key: this.#channel });
    }
    let removed = false;
    return async () => {
      if (removed) return;
      removed = true;
      this.#listeners.delete(wrapped);
      await this.#closeIfUnused();
    };
  }

  #connect(): Promise<unknown> {
    if (this.#ready) return this.#ready;
    const client = this.#client;
    // Subscribing needs its own connection; queue the SUBSCRIBE until it is connected.
    const connection =
      (client as { isCluster?: boolean }).isCluster === true
        ? (client as Cluster).duplicate(undefined, { enableOfflineQueue: true })
        : (client as Redis).duplicate({ enableOfflineQueue: true, lazyConnect: false });
    // Connection errors are reported through subscribe()'s promise and ioredis reconnects.
    connection.on('error', () => {});
    connection.on('message', (channel: string, message: string) => {
      if (channel !== this.#channel) return;
      for (const listener of [...this.#listeners]) {
        try {
          listener(message);
        } catch (error) {
          process.emitWarning(
            `a ${this.#channel} listener threw: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
    });
    this.#connection = connection;
    this.#ready = connection.subscribe(this.#channel);
    return this.#ready;
  }

  async #closeIfUnused(): Promise<void> {
    if (this.#listeners.size > 0 || !this.#connection) return;
    const connection = this.#connection;
    this.#connection = null;
    this.#ready = null;
    try {
      await connection.quit();
    } catch {
      connection.disconnect();
    }
  }
}
