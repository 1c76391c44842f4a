import type {
  ActivityClockStorage,
  RebuildFinishedEvent,
  RebuildListeners,
  RebuildState,
} from '@sf/feeds/backend';

/** What one named clock of a memory backend holds. */
export interface MemoryClockData {
  lastActive: Map<string, number>;
  rebuilds: Map<string, RebuildState>;
  /** Who hears this clock's rebuilds end (this process is the only one there is). */
  listeners: RebuildListeners;
}

/** The activity clock in process memory (one process, nothing shared). */
export class MemoryActivityClock implements ActivityClockStorage {
  readonly #data: MemoryClockData;
  readonly #name: string;

  constructor(data: MemoryClockData, name: string) {
    this.#data = data;
    this.#name = name;
  }

  async touch(userIds: readonly string[], atMs: number): Promise<Map<string, number>> {
    const previous = await this.lastActive(userIds);
    for (const userId of userIds) this.#data.lastActive.set(userId, atMs);
    return previous;
  }

  async lastActive(userIds: readonly string[]): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    for (const userId of userIds) {
      const time = this.#data.lastActive.get(userId);
      if (time !== undefined) result.set(userId, time);
    }
    return result;
  }

  async startRebuild(userId: string, atMs: number, timeoutMs: number): Promise<boolean> {
    const running = this.#data.rebuilds.get(userId);
    if (running && running.expiresAt > atMs) return false;
    this.#data.rebuilds.set(userId, { startedAt: atMs, expiresAt: atMs + timeoutMs });
    return true;
  }

  async finishRebuild(userId: string, startedAt: number): Promise<void> {
    if (this.#data.rebuilds.get(userId)?.startedAt !== startedAt) return;
    this.#data.rebuilds.delete(userId);
    this.#data.listeners.emit({ clock: this.#name, userId, startedAt });
  }

  async subscribe(listener: (event: RebuildFinishedEvent) => void): Promise<() => Promise<void>> {
    return this.#data.listeners.add(listener);
  }

  async rebuildStatus(
    userIds: readonly string[],
    atMs: number,
  ): Promise<Map<string, RebuildState>> {
    const result = new Map<string, RebuildState>();
    for (const userId of userIds) {
      const state = this.#data.rebuilds.get(userId);
      if (state && state.expiresAt > atMs) result.set(userId, { ...state });
    }
    return result;
  }

  async delete(userIds: readonly string[]): Promise<void> {
    for (const userId of userIds) {
      this.#data.lastActive.delete(userId);
      this.#data.rebuilds.delete(userId);
    }
  }
}
