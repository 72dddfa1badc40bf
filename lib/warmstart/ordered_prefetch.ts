/**
 * Runs producer tasks with bounded concurrency and yields their results in task order: reads run
 * ahead of the writer while memory stays bounded by `concurrency` results.
 *
 * @module
 */

/** A deferred piece of work. */
export type Task<T> = () => Promise<T>;

/**
 * Yields the results of `tasks` in order, keeping at most `concurrency` tasks in flight.
 * A failure stops scheduling and is thrown when its turn comes; tasks already started settle.
 */
export async function* orderedPrefetch<T>(
  tasks: Iterable<Task<T>>,
  concurrency: number,
): AsyncGenerator<T> {
  const iterator = tasks[Symbol.iterator]();
  const inFlight: Promise<T>[] = [];
  let exhausted = false;
  const fill = () => {
    while (!exhausted && inFlight.length < Math.max(1, concurrency)) {
      const next = iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const p = next.value();
      p.catch(() => {}); // observed when its turn comes; avoid unhandled rejections meanwhile
      inFlight.push(p);
    }
  };
  try {
    fill();
    while (inFlight.length > 0) {
      const value = await inFlight[0];
      inFlight.shift();
      fill();
      yield value;
    }
  } finally {
    exhausted = true;
    await Promise.allSettled(inFlight);
  }
}
