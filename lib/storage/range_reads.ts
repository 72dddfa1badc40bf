/**
 * Range reads as a policy: batches of ranges are coalesced into fewer requests (coalesce.ts),
 * ranges longer than `maxRequest` are split into parallel requests, and every read request of
 * the store — single or batched — runs under one concurrency limit. It also counts the job's
 * requests, reads and writes (`counts`). The engine reads tensors only
 * through this (with ETag pinning and retries below it, see job_store.ts).
 *
 * @module
 */
import { coalesceRanges, splitRange } from "./coalesce.ts";
import { Limiter } from "./limiter.ts";
import { checkRange } from "./range_header.ts";
import type { ByteRange, ReadOptions, Store, WriteResult } from "./store.ts";
import { wrapStore } from "./wrap_store.ts";

/**
 * Range reads a job keeps in flight (default): each holds a connection and its buffers. A job's
 * reads are large — sequential windows, whole bucket sections, 1 MiB chunks — so 8 keep the
 * store busy: the shuffled S3 benchmark job ran as fast with 8 as with 16 (9.3-9.5 s vs
 * 9.5-9.6 s) at 231-232 MiB peak RSS instead of 242-252, and the local one alike (4.5-5.6 s both).
 */
export const READS_IN_FLIGHT = 8;

/** Options for {@link withRangeReads}. */
export interface RangeReadOptions {
  /**
   * Bridge holes of at most this many bytes between ranges of one batch (default 64 KiB: on S3
   * a request costs about as much time as reading tens of KiB more).
   */
  maxGap?: number;
  /** Largest single request in bytes (default 16 MiB, AWS's guidance for range GETs). */
  maxRequest?: number;
  /** Requests in flight at once, across all calls (default {@link READS_IN_FLIGHT}). */
  concurrency?: number;
}

/** Options of one batched read. */
export interface ReadRangesOptions extends ReadOptions {
  /** Bridged bytes allowed per needed byte in this batch (default: only `maxGap` applies). */
  maxWaste?: number;
}

/** Requests issued through the policy, for reports and tests. */
export interface RequestCounts {
  /** Range and whole-object read requests sent to the store below. */
  reads: number;
  /** Bytes those requests returned. */
  bytesRead: number;
  /** Objects written (each a PUT, or one multipart upload, or a local file). */
  writes: number;
  /** Bytes of those objects. */
  bytesWritten: number;
  /** Parts of multipart uploads sent with bytes (UploadPart). */
  parts: number;
  /** Parts copied server-side (UploadPartCopy). */
  copyParts: number;
  /** Reads of copy sources a multipart write streamed through itself. */
  sourceReads: number;
  /** Objects deleted. */
  deletes: number;
}

/** What the range-read policy adds to a Store. */
export interface RangeReads {
  /**
   * The bytes of every range, in input order. Results of coalesced ranges are views into one
   * shared buffer (copy a small one before keeping it long).
   */
  readRanges(
    location: string,
    ranges: readonly ByteRange[],
    options?: ReadRangesOptions,
  ): Promise<Uint8Array[]>;
  /** Requests issued so far. */
  readonly counts: RequestCounts;
}

/** A Store with batched, coalesced, concurrency-bounded range reads. */
export type RangeStore = Store & RangeReads;

/**
 * Wraps `store` with coalesced, split, concurrency-bounded range reads (see module docs).
 *
 * @param store the store to wrap (pinning and retries below it)
 * @param options gap, request size and concurrency
 * @returns the store with `readRanges`
 */
export function withRangeReads(store: Store, options: RangeReadOptions = {}): RangeStore {
  const maxGap = options.maxGap ?? 64 * 1024;
  const maxRequest = options.maxRequest ?? 16 * 1024 * 1024;
  const limiter = new Limiter(options.concurrency ?? READS_IN_FLIGHT);
  const counts: RequestCounts = {
    reads: 0,
    bytesRead: 0,
    writes: 0,
    bytesWritten: 0,
    parts: 0,
    copyParts: 0,
    sourceReads: 0,
    deletes: 0,
  };
  const wrote = (r: WriteResult) => {
    counts.writes++;
    counts.bytesWritten += r.size;
    counts.parts += r.requests?.parts ?? 0;
    counts.copyParts += r.requests?.copyParts ?? 0;
    counts.sourceReads += r.requests?.sourceReads ?? 0;
    return r;
  };

  const fetch = (location: string, range: ByteRange, o?: ReadOptions) =>
    limiter.run(async () => {
      o?.signal?.throwIfAborted();
      counts.reads++;
      const bytes = await store.readRange(location, range, o);
      counts.bytesRead += bytes.length;
      return bytes;
    });

  /** One range; longer than maxRequest: parallel requests into one buffer. */
  const fetchWhole = async (location: string, range: ByteRange, o?: ReadOptions) => {
    if (range.length <= maxRequest) return await fetch(location, range, o);
    const whole = o?.into && o.into.length >= range.length
      ? o.into.subarray(0, range.length)
      : new Uint8Array(range.length);
    // Each part reads into its own slice of the one buffer (copied only if a store cannot).
    await settleAll(
      splitRange(range, maxRequest).map((c) => {
        const at = c.offset - range.offset;
        const into = whole.subarray(at, at + c.length);
        return fetch(location, c, { ...o, into }).then((b) => {
          if (b.buffer !== whole.buffer || b.byteOffset !== into.byteOffset) whole.set(b, at);
        });
      }),
    );
    return whole;
  };

  async function readRanges(
    location: string,
    ranges: readonly ByteRange[],
    o?: ReadRangesOptions,
  ): Promise<Uint8Array[]> {
    ranges.forEach(checkRange);
    const out: Uint8Array[] = ranges.map(() => new Uint8Array(0));
    const groups = coalesceRanges(ranges, {
      maxGap,
      maxRequest,
      ...(o?.maxWaste !== undefined ? { maxWaste: o.maxWaste } : {}),
    });
    const read = o?.signal ? { signal: o.signal, ...pick(o) } : pick(o);
    await settleAll(groups.map(async (g) => {
      const buf = await fetchWhole(location, { offset: g.offset, length: g.length }, read);
      for (const i of g.members) {
        const from = ranges[i].offset - g.offset;
        out[i] = buf.subarray(from, from + ranges[i].length);
      }
    }));
    return out;
  }

  return wrapStore(store, {
    readRanges,
    counts,
    read: (location, o) =>
      limiter.run(async () => {
        counts.reads++;
        const bytes = await store.read(location, o);
        counts.bytesRead += bytes.length;
        return bytes;
      }),
    readRange: (location, range, o) => {
      checkRange(range);
      if (range.length === 0) return Promise.resolve(new Uint8Array(0));
      return fetchWhole(location, range, o);
    },
    put: (location, data, o) => store.put(location, data, o).then(wrote),
    write: (location, pieces, o) => store.write(location, pieces, o).then(wrote),
    delete: (location) => store.delete(location).then(() => void counts.deletes++),
    // Parts a caller uploads itself (a task of a split job); the writer's are in `write`'s.
    uploadPart: (upload, part, o) =>
      store.uploadPart(upload, part, o).then((r) => {
        if (part.body instanceof Uint8Array) {
          counts.parts++;
          counts.bytesWritten += r.size;
        } else counts.copyParts++;
        return r;
      }),
  });
}

function pick(o: ReadRangesOptions | undefined): ReadOptions {
  return o?.ifMatch !== undefined ? { ifMatch: o.ifMatch } : {};
}

/** Waits for every promise; throws the first rejection once all have settled. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;
}
