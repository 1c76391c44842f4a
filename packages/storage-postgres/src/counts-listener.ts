import pg from 'pg';
import { decodeMarkerEvent } from '@sf/feeds/backend';
import type { MarkerEvent } from '@sf/feeds/backend';
import { toStorageError } from './errors.js';

/** Longest wait between attempts to reconnect the listening client, in ms. */
const MAX_RECONNECT_DELAY = 5000;

/**
 * The LISTEN side of marker count events: one dedicated client per backend (a pooled client
 * cannot hold a LISTEN), opened by the first `subscribe` and closed when the last listener
 * leaves. A lost connection is reopened with backoff while listeners remain; events published
 * while it was down are not replayed (the contract replays nothing).
 */
export class CountsListener {
  readonly #channel: string;
  readonly #config: pg.ClientConfig;
  /** Raw payload listeners: marker count events and rebuild events share the channel. */
  readonly #listeners = new Set<(payload: string) => void>();
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #closed = false;

  constructor(channel: string, config: pg.ClientConfig) {
    this.#channel = channel;
    this.#config = config;
  }

  /** The channel's name (what rebuild events are published on too). */
  get channel(): string {
    return this.#channel;
  }

  subscribe(listener: (event: MarkerEvent) => void): Promise<() => Promise<void>> {
    return this.listen('markers.subscribe', (payload) => {
      const event = decodeMarkerEvent(payload);
      if (event) listener(event);
    });
  }

  /** Hears every payload of the channel (each listener decodes what it understands). */
  async listen(
    operation: string,
    listener: (payload: string) => void,
  ): Promise<() => Promise<void>> {
    this.#closed = false;
    const wrapped = (payload: string) => listener(payload);
    this.#listeners.add(wrapped);
    try {
      await this.#ensure(operation);
    } catch (error) {
      this.#listeners.delete(wrapped);
      throw error;
    }
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      this.#listeners.delete(wrapped);
      if (this.#listeners.size === 0) await this.close();
    };
  }

  async #ensure(operation = 'markers.subscribe'): Promise<void> {
    if (this.#client) return;
    this.#connecting ??= this.#open(operation).finally(() => (this.#connecting = undefined));
    await this.#connecting;
  }

  async #open(operation: string): Promise<void> {
    const client = new pg.Client(this.#config);
    client.on('notification', (message) => {
      if (message.channel !== this.#channel || message.payload === undefined) return;
      const payload = message.payload;
      for (const listener of [...this.#listeners]) {
        try {
          listener(payload);
        } catch {
          // One failing listener does not stop the others.
        }
      }
    });
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel.replaceAll('"', '""')}"`);
    } catch (error) {
      client.removeAllListeners('end');
      await client.end().catch(() => undefined);
      throw toStorageError(error, { operation });
    }
    this.#client = client;
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    void client.end().catch(() => undefined);
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    for (let delay = 100; !this.#closed && this.#listeners.size > 0 && !this.#client;) {
      await new Promise((resolve) => setTimeout(resolve, delay).unref());
      if (this.#closed || this.#listeners.size === 0) return;
      try {
        await this.#ensure();
      } catch {
        delay = Math.min(delay * 2, MAX_RECONNECT_DELAY);
      }
    }
  }

  /** Stops listening and closes the client. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    const client = this.#client;
    this.#client = undefined;
    if (client) {
      client.removeAllListeners('end');
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
    }
  }
}
