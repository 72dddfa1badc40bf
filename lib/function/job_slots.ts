/**
 * Admission of jobs: at most `maxRunning` run at once (WARM_START_MAX_JOBS), so memory is
 * bounded by that many jobs' budgets; callers that can wait (event jobs) queue in a bounded FIFO
 * (WARM_START_MAX_QUEUED), everyone else is refused at once with TooManyJobsError (HTTP 429).
 *
 * @module
 */
import { TooManyJobsError } from "./errors.ts";

/** Frees a slot taken by {@link JobSlots.take} or {@link JobSlots.wait}. */
export type Release = () => void;

/** Counting slots with a bounded wait queue. */
export class JobSlots {
  #running = 0;
  readonly #queue: Array<{ grant: (release: Release) => void }> = [];

  /**
   * @param maxRunning jobs at once
   * @param maxQueued callers waiting at most
   */
  constructor(readonly maxRunning: number, readonly maxQueued: number) {}

  /** Jobs holding a slot. */
  get running(): number {
    return this.#running;
  }

  /** Callers waiting for one. */
  get queued(): number {
    return this.#queue.length;
  }

  #release(): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.#queue.shift();
      if (next) next.grant(this.#release());
      else this.#running--;
    };
  }

  /**
   * A slot now.
   *
   * @throws TooManyJobsError when all are taken
   */
  take(): Release {
    if (this.#running >= this.maxRunning) throw new TooManyJobsError(this.maxRunning);
    this.#running++;
    return this.#release();
  }

  /**
   * A slot once one is free, waiting in the bounded queue.
   *
   * @param signal gives up waiting (rejects with its reason)
   * @throws TooManyJobsError when the queue is full too
   */
  wait(signal?: AbortSignal): Promise<Release> {
    signal?.throwIfAborted();
    if (this.#running < this.maxRunning) return Promise.resolve(this.take());
    if (this.#queue.length >= this.maxQueued) {
      return Promise.reject(new TooManyJobsError(this.maxRunning, true));
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: (release: Release) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(release);
        },
      };
      const onAbort = () => {
        const at = this.#queue.indexOf(entry);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(entry);
    });
  }
}
