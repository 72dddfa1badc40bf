/**
 * RangeReader: batched range reads over any Store. Nearby ranges are coalesced into one request
 * (configurable gap), long ranges are split, and requests run with bounded concurrency shared by
 * every call on the reader. Wrap the store with withRetries / withEtagPinning for policy.
 *
 * @module
 */
import { coalesceRanges, splitRange } from "./coalesce.ts";
import { Limiter } from "./limiter.ts";
import { checkRange } from "./range_header.ts";
import type { ByteRange, ReadOptions, Store } from "./store.ts";

/** Options for {@link RangeReader}. */
export interface RangeReaderOptions {
  /** Merge ranges whose gap is at most this many bytes (default 1 MiB). */
  maxGap?: number;
  /** Largest single request in bytes (default 16 MiB); longer ranges are split. */
  maxRequest?: number;
  /** Requests in flight at once, across all calls on this reader (default 4). */
  concurrency?: number;
}

/** Coalescing, splitting, concurrency-bounded range reader (see module docs). */
export class RangeReader {
  /** Gap (bytes) up to which neighbouring ranges are merged. */
  readonly maxGap: number;
  /** Largest single request in bytes. */
  readonly maxRequest: number;
  readonly #limiter: Limiter;
  /** Requests issued so far (for tests and metrics). */
  requests = 0;

  /** Wraps `store` (wrap it with policies first). */
  constructor(readonly store: Store, options: RangeReaderOptions = {}) {
    this.maxGap = options.maxGap ?? 1024 * 1024;
    this.maxRequest = options.maxRequest ?? 16 * 1024 * 1024;
    this.#limiter = new Limiter(options.concurrency ?? 4);
  }

  /** One range (split into parallel requests when longer than maxRequest). */
  async readRange(location: string, range: ByteRange, options?: ReadOptions): Promise<Uint8Array> {
    return (await this.readRanges(location, [range], options))[0];
  }

  /**
   * The bytes of every range, in input order. Results of coalesced ranges are views into one
   * shared buffer (copy them if you keep a small one long).
   */
  async readRanges(
    location: string,
    ranges: readonly ByteRange[],
    options?: ReadOptions,
  ): Promise<Uint8Array[]> {
    ranges.forEach(checkRange);
    const out: Uint8Array[] = ranges.map(() => new Uint8Array(0));
    const groups = coalesceRanges(ranges, { maxGap: this.maxGap, maxRequest: this.maxRequest });
    const tasks: Promise<void>[] = [];
    for (const g of groups) {
      if (g.length <= this.maxRequest) {
        tasks.push(
          this.#fetch(location, g, options).then((buf) => {
            for (const i of g.members) {
              out[i] = buf.subarray(
                ranges[i].offset - g.offset,
                ranges[i].offset - g.offset + ranges[i].length,
              );
            }
          }),
        );
      } else {
        // A single range longer than maxRequest: fetch chunks in parallel into one buffer.
        const whole = new Uint8Array(g.length);
        for (const c of splitRange(g, this.maxRequest)) {
          tasks.push(
            this.#fetch(location, c, options).then((buf) => whole.set(buf, c.offset - g.offset)),
          );
        }
        for (const i of g.members) {
          out[i] = whole.subarray(
            ranges[i].offset - g.offset,
            ranges[i].offset - g.offset + ranges[i].length,
          );
        }
      }
    }
    const settled = await Promise.allSettled(tasks);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failed) throw failed.reason;
    return out;
  }

  #fetch(location: string, range: ByteRange, options?: ReadOptions): Promise<Uint8Array> {
    return this.#limiter.run(() => {
      options?.signal?.throwIfAborted();
      this.requests++;
      return this.store.readRange(location, range, options);
    });
  }
}
