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
