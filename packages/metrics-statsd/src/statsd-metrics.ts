import { performance } from 'node:perf_hooks';
import { StatsD } from 'hot-shots';
import type { ClientOptions } from 'hot-shots';
import type { ActivityCacheEvent, Metrics, Timer } from '@sf/feeds';

/** The part of a StatsD client this package uses (hot-shots' `StatsD` has it). */
export interface StatsdClientLike {
  increment(stat: string, value: number): void;
  timing(stat: string, value: number): void;
  close(callback?: (error?: Error) => void): void;
}

export interface StatsdMetricsOptions {
  /** StatsD host (default `localhost`, or `STATSD_HOST` when set). */
  host?: string;
  /** StatsD port (default 8125, or `STATSD_PORT` when set). */
  port?: number;
  /**
   * Prepended to every metric name with a dot (default `stream_framework`, as Stream
   * Framework). An empty string sends bare names.
   */
  prefix?: string;
  /**
   * A client to send through instead of creating one (e.g. a hot-shots `StatsD` shared with the
   * rest of the app, or a child client with tags). `close()` leaves a given client open.
   */
  client?: StatsdClientLike;
  /** Extra hot-shots options for the client this package creates (buffering, tags, protocol...). */
  clientOptions?: Omit<ClientOptions, 'host' | 'port' | 'prefix'>;
  /** Called with errors of the client or of a metric call (default: ignored; metrics never throw). */
  onError?: (error: unknown) => void;
}

const NAME_PART = /[^A-Za-z0-9_.-]/g;

/** Makes a metric name part safe for the StatsD line protocol (`:`, `|`, `@`, `#`, spaces...). */
/** `Metrics.onActivityCache` events as counter names. */
const CACHE_COUNTERS: Record<ActivityCacheEvent, string> = {
  hit: 'hits',
  miss: 'misses',
  eviction: 'evictions',
  invalidation: 'invalidations',
  flush: 'flushes',
};

function clean(part: string): string {
  return part.replace(NAME_PART, '_');
}

/**
 * The `Metrics` contract of `@sf/feeds` over StatsD. Metric names follow Stream Framework's
 * `StatsdMetrics` (`<prefix>.<feed>.reads`, `.writes`, `.deletes`, `.fanout.add`,
 * `.fanout_latency`, `.read_latency`, `<prefix>.activities.published`, `.removed`).
 */
export class StatsdMetrics implements Metrics {
  readonly prefix: string;
  readonly client: StatsdClientLike;
  readonly #ownsClient: boolean;
  readonly #onError: (error: unknown) => void;
  #closed = false;

  constructor(options: StatsdMetricsOptions = {}) {
    this.#onError = options.onError ?? (() => {});
    const prefix = options.prefix ?? 'stream_framework';
    if (typeof prefix !== 'string')
      throw new TypeError(`prefix must be a string, got ${String(prefix)}`);
    this.prefix = prefix.replace(/\.+$/, '');
    if (options.client) {
      this.client = options.client;
      this.#ownsClient = false;
    } else {
      const port =
        options.port ?? (process.env.STATSD_PORT ? Number(process.env.STATSD_PORT) : 8125);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new TypeError(
          `port must be an integer from 1 to 65535, got ${String(options.port ?? process.env.STATSD_PORT)}`,
        );
      }
      this.client = new StatsD({
        ...options.clientOptions,
        host: options.host ?? process.env.STATSD_HOST ?? 'localhost',
        port,
        errorHandler: (error: Error) => this.#onError(error),
      });
      this.#ownsClient = true;
    }
  }

  /** The full name of a metric: `<prefix>.<parts joined by dots>`. */
  metricName(...parts: string[]): string {
    const name = parts.map(clean).join('.');
    return this.prefix ? `${this.prefix}.${name}` : name;
  }

  #count(name: string, value: number): void {
    if (this.#closed || !(value > 0)) return;
    try {
      this.client.increment(name, value);
    } catch (error) {
      this.#onError(error);
    }
  }

  #timer(name: string): Timer {
    const start = performance.now();
    let stopped = false;
    return {
      stop: () => {
        if (stopped || this.#closed) return;
        stopped = true;
        try {
          this.client.timing(name, Math.round((performance.now() - start) * 1000) / 1000);
        } catch (error) {
          this.#onError(error);
        }
      },
    };
  }

  onFeedRead(feed: string, count: number): void {
    this.#count(this.metricName(feed, 'reads'), count);
  }

  onFeedWrite(feed: string, count: number): void {
    this.#count(this.metricName(feed, 'writes'), count);
  }

  onFeedRemove(feed: string, count: number): void {
    this.#count(this.metricName(feed, 'deletes'), count);
  }

  onFanout(feed: string, operation: 'add' | 'remove' | 'update', count: number): void {
    this.#count(this.metricName(feed, 'fanout', operation), count);
  }

  onActivityPublished(): void {
    this.#count(this.metricName('activities', 'published'), 1);
  }

  onActivityRemoved(): void {
    this.#count(this.metricName('activities', 'removed'), 1);
  }

  onMissingActivities(feed: string, count: number): void {
    this.#count(this.metricName(feed, 'missing_activities'), count);
  }

  /** `activity_cache.hits`, `.misses`, `.evictions`, `.invalidations`, `.flushes`. */
  onActivityCache(event: ActivityCacheEvent, count: number): void {
    this.#count(this.metricName('activity_cache', CACHE_COUNTERS[event]), count);
  }

  /** `<prefix>.<feed>.fanout.skipped`: feeds of inactive users a fanout left out. */
  onFanoutSkipped(feed: string, count: number): void {
    this.#count(this.metricName(feed, 'fanout', 'skipped'), count);
  }

  /** `<prefix>.<feed>.rebuilt` (feeds) and `<prefix>.<feed>.rebuilt_activities`. */
  onFeedRebuilt(feed: string, activities: number): void {
    this.#count(this.metricName(feed, 'rebuilt'), 1);
    this.#count(this.metricName(feed, 'rebuilt_activities'), activities);
  }

  fanoutTimer(feed: string): Timer {
    return this.#timer(this.metricName(feed, 'fanout_latency'));
  }

  feedReadTimer(feed: string): Timer {
    return this.#timer(this.metricName(feed, 'read_latency'));
  }

  /**
   * Flushes buffered metrics and closes the socket of the client this instance created (a
   * client passed in `options.client` stays open). Metrics reported afterwards are dropped.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#ownsClient) return;
    await new Promise<void>((resolve) => {
      try {
        this.client.close((error) => {
          if (error) this.#onError(error);
          resolve();
        });
      } catch (error) {
        this.#onError(error);
        resolve();
      }
    });
  }
}

/** `statsdMetrics({ host, port, prefix })`: the Metrics contract over StatsD. */
export function statsdMetrics(options: StatsdMetricsOptions = {}): StatsdMetrics {
  return new StatsdMetrics(options);
}
