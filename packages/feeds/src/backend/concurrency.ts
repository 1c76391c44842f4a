/**
 * Runs `task` for every item, at most `limit` at a time, in item order.
 *
 * On the first failure no further item is started; the call waits for the tasks already running
 * to settle, then rejects with that first error (later errors of running tasks are dropped).
 * Waiting matters: a caller that sees the rejection (a fanout retried by its queue, a batch
 * import) must not have writes of the failed call still landing behind its back. Starting nothing
 * more keeps a failing backend from being hammered with the rest of a large batch.
 *
 * @throws RangeError when `limit` is not a positive integer
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new RangeError(`forEachLimited: limit must be a positive integer, got ${String(limit)}`);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await task(items[index]!, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
}
