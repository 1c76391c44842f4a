import { USER_COOKIE } from '../src/server.js';

/** One open `GET /events` stream of a signed-in user, read event by event. */
export interface EventStream {
  /** The data of the next event named `name` (earlier events of other names are skipped). */
  next(name: string, timeoutMs?: number): Promise<string>;
  /** Every event name read so far, in order. */
  readonly seen: string[];
  close(): void;
}

/** Opens `/events` on a listening app as the user whose signed cookie value is `cookie`. */
export async function openEventStream(baseUrl: string, cookie: string): Promise<EventStream> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/events`, {
    headers: { cookie: `${USER_COOKIE}=${encodeURIComponent(cookie)}` },
    signal: controller.signal,
  });
  if (response.status !== 200) throw new Error(`GET /events answered ${response.status}`);
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const seen: string[] = [];
  const events: Array<{ name: string; data: string }> = [];
  let buffer = '';
  let pending: Promise<void> | undefined;
  let ended: string | undefined;
  // Never rejects (a read left pending by a timeout may fail after close): `ended` says why.
  const readMore = () =>
    (pending ??= reader.read().then(
      ({ value, done }) => {
        pending = undefined;
        if (done) {
          ended = 'the event stream ended';
          return;
        }
        buffer += decoder.decode(value as Uint8Array, { stream: true });
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (.*)$/m.exec(block)?.[1];
          if (name === undefined) continue;
          seen.push(name);
          events.push({ name, data: /^data: (.*)$/m.exec(block)?.[1] ?? '' });
        }
      },
      (error: unknown) => {
        ended = `the event stream failed: ${error instanceof Error ? error.message : String(error)}`;
      },
    ));
  return {
    seen,
    async next(name, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = events.findIndex((event) => event.name === name);
        if (index >= 0) return events.splice(0, index + 1).pop()!.data;
        if (ended !== undefined) throw new Error(`${ended} before a "${name}" event`);
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`no "${name}" event within ${timeoutMs} ms (seen: ${seen.join(', ')})`);
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          readMore(),
          new Promise((resolve) => (timer = setTimeout(resolve, left))),
        ]).finally(() => clearTimeout(timer));
      }
    },
    close: () => controller.abort(),
  };
}
