/**
 * A counting semaphore: bounded concurrency for range reads and part uploads.
 *
 * @module
 */

/** Runs at most `limit` tasks at once; further tasks wait in FIFO order. */
export class Limiter {
  #active = 0;
  #waiting: Array<() => void> = [];

  /**
   * Creates a limiter.
   *
   * @param limit tasks at once (a positive integer)
   */
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError(`Invalid concurrency ${limit}`);
  }

  /** Number of tasks currently running. */
  get active(): number {
    return this.#active;
  }

  /** Runs `task` once a slot is free. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#active++;
    }
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}

/**
 * Requests a clean-up sends at once (deletes, aborts): a job's temporary area may hold thousands
 * of objects, and every request in flight holds a connection and the client's request state
 * (44 DeleteObject calls at once grew the heap by 27 MiB at the end of a job).
 */
export const CLEANUP_CONCURRENCY = 4;

/**
 * `Promise.allSettled` over `items` with at most `limit` calls of `fn` in flight.
 *
 * @param items what to act on
 * @param fn one request per item
 * @param limit calls at once (default {@link CLEANUP_CONCURRENCY})
 * @returns each call's outcome, in the order of `items`
 */
export async function settleEach<T, R>(
  items: Iterable<T>,
  fn: (item: T) => Promise<R>,
  limit: number = CLEANUP_CONCURRENCY,
): Promise<PromiseSettledResult<R>[]> {
  const limiter = new Limiter(limit);
  return await Promise.allSettled([...items].map((item) => limiter.run(() => fn(item))));
}
