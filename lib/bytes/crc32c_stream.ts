/**
 * The CRC-32C of a stream of chunks, with the big chunks' CRCs computed on a second core: a
 * chunk of {@link OFFLOAD_MIN_BYTES} or more is copied, a piece at a time, and the copies are
 * transferred to a Web Worker (crc32c_worker.ts; the caller may reuse its buffer once
 * {@link Crc32cStream.add} settles), and the pieces' CRCs are combined in order
 * (crc32cCombine). Measured on the benchmark machine (2 cores), jobs run alternately with and
 * without it: the shuffled anchor remap 3.81-4.49 s instead of 4.21-4.73 s, the plain job (780 MB,
 * every byte checked) 0.89-1.10 s instead of 0.97-1.15 s. The cost is memory: the worker's
 * isolate and the pieces in flight, 12-16 MiB of peak RSS locally, 20 on the shuffled S3 job
 * (233-235 -> 253-255 MiB; there, with the server on the same 2 cores, the time did not change).
 *
 * Only with more than one core (`navigator.hardwareConcurrency`): on one, the copy would be
 * pure cost. A Deno Worker keeps its process alive, so the worker runs only while a stream or
 * a {@link holdCrcWorker} hold is open, and stops when the last one closes with nothing pending.
 * Bytes in flight to the worker are bounded, all streams together ({@link IN_FLIGHT_BYTES}): when
 * the worker falls behind, a stream waits for room.
 *
 * @module
 */
import { crc32c, crc32cCombine, wasmCrcParts } from "./crc32c.ts";

/**
 * `WARM_START_CRC_WORKER=0` (or false, no, off) keeps every CRC on the calling thread: no worker,
 * 12-20 MiB less peak RSS (for memory-tight deployments). Read once, when this module loads.
 */
const DISABLED: boolean = (() => {
  try {
    return /^(0|false|no|off)$/i.test((Deno.env.get("WARM_START_CRC_WORKER") ?? "").trim());
  } catch {
    return false; // (no permission to read the environment: the default)
  }
})();

/** Smaller chunks are checksummed in place (the copy and the message cost more than they save). */
export const OFFLOAD_MIN_BYTES = 256 * 1024;
/** Most bytes at the worker at once, all streams together (the copies). */
export const IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** Bytes per message to the worker (a bigger chunk is sent in pieces). */
export const PIECE_BYTES = 1024 * 1024;

/** Longest wait for a new worker's first answer (ms); then CRCs are computed in place. */
const START_TIMEOUT_MS = 10_000;
/** Piece buffers kept for reuse: every piece that may be at the worker, and one more. */
const POOL_BUFFERS = IN_FLIGHT_BYTES / PIECE_BYTES + 1;

/** The worker's answer: the CRC, and the piece's buffer back. */
interface CrcAnswer {
  id: number;
  crc: number;
  buffer: ArrayBuffer;
}

/** The one worker of this thread, started on demand and stopped when nobody needs it. */
class CrcWorker {
  #worker: Worker | undefined;
  #next = 0;
  #pending = new Map<
    number,
    { resolve: (crc: number) => void; reject: (e: Error) => void; length: number }
  >();
  /** Bytes at the worker, and the streams waiting for room. */
  #inFlight = 0;
  #waiting: Array<() => void> = [];
  #holds = 0;
  #broken = false;
  /** Piece buffers back from the worker, for the next pieces. */
  #free: ArrayBuffer[] = [];
  /** Whether the running worker answered its check ({@link ready}). */
  #ready: Promise<boolean> | undefined;
  /** Worker-computed CRCs so far (tests: proves the second core did the work). */
  computed = 0;

  /** True when chunks may be sent (several cores, Workers, no failure so far). */
  get usable(): boolean {
    return !DISABLED && !this.#broken && typeof Worker === "function" &&
      (globalThis.navigator?.hardwareConcurrency ?? 1) > 1;
  }

  hold(): void {
    this.#holds++;
  }

  release(): void {
    this.#holds--;
    this.#stopIfIdle();
  }

  /**
   * Resolves true once the worker runs (it answered a known CRC), false when it cannot start
   * (no Workers where the function is deployed, a module that fails to load, no answer within
   * {@link START_TIMEOUT_MS}): then, and from then on, CRCs are computed in place. Nothing is
   * sent before, so a worker that never starts loses no bytes.
   */
  ready(): Promise<boolean> {
    if (this.#ready) return this.#ready;
    let worker: Worker;
    try {
      worker = this.#start();
    } catch {
      this.#broken = true;
      return Promise.resolve(false);
    }
    this.#worker = worker;
    const check = new TextEncoder().encode("123456789");
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), START_TIMEOUT_MS);
      this.#send(check).then(
        (crc) => {
          this.computed--; // (the check is not a CRC anyone asked for)
          resolve(crc === 0xe3069283);
        },
        () => resolve(false),
      ).finally(() => clearTimeout(timer));
    }).then((ok) => {
      if (!ok) {
        this.#broken = true;
        this.#fail(new Error("crc32c worker did not start"));
      }
      return ok;
    });
    this.#ready = ready;
    return ready;
  }

  /** Resolves when `bytes` more fit in {@link IN_FLIGHT_BYTES} (or nothing is at the worker). */
  async room(bytes: number): Promise<void> {
    while (this.#pending.size > 0 && this.#inFlight + bytes > IN_FLIGHT_BYTES) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
  }

  /** The CRC of `bytes` from the running worker (after {@link ready} resolved true). */
  crc(bytes: Uint8Array): Promise<number> {
    return this.#send(bytes);
  }

  #wake(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const w of waiting) w();
  }

  #send(bytes: Uint8Array): Promise<number> {
    const worker = this.#worker!;
    const id = ++this.#next;
    // A copy of just these bytes in a buffer of the pool, transferred there and back: a view
    // posted as it is would clone its whole buffer (the job memory's arena, for most chunks),
    // and buffers left to the worker's collector piled up (peak RSS 177 -> 368 MiB).
    const buffer = this.#free.pop() ?? new ArrayBuffer(Math.max(PIECE_BYTES, bytes.length));
    new Uint8Array(buffer, 0, bytes.length).set(bytes);
    this.#inFlight += bytes.length;
    return new Promise<number>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, length: bytes.length });
      worker.postMessage({ id, buffer, length: bytes.length }, [buffer]);
    });
  }

  #start(): Worker {
    const parts = wasmCrcParts();
    if (!parts) throw new Error("no WebAssembly");
    const worker = new Worker(new URL("./crc32c_worker.ts", import.meta.url).href, {
      type: "module",
    });
    worker.postMessage({ init: parts });
    worker.onmessage = (e: MessageEvent<CrcAnswer>) => {
      const p = this.#pending.get(e.data.id);
      this.#pending.delete(e.data.id);
      this.#inFlight -= p?.length ?? 0;
      this.computed++;
      if (this.#free.length < POOL_BUFFERS && e.data.buffer.byteLength === PIECE_BYTES) {
        this.#free.push(e.data.buffer);
      }
      p?.resolve(e.data.crc);
      this.#wake();
      this.#stopIfIdle();
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      // Streams after this one checksum in place; chunks at the worker are lost with it.
      this.#broken = true;
      this.#fail(new Error(`crc32c worker failed: ${e.message}`));
    };
    return worker;
  }

  #fail(error: Error): void {
    for (const p of this.#pending.values()) p.reject(error);
    this.#pending.clear();
    this.#inFlight = 0;
    this.#wake();
    this.#stop();
  }

  #stopIfIdle(): void {
    if (this.#holds <= 0 && this.#pending.size === 0) this.#stop();
  }

  #stop(): void {
    this.#worker?.terminate();
    this.#worker = undefined;
    this.#ready = undefined;
    this.#free = [];
  }
}

const WORKER = new CrcWorker();

/** Worker CRCs computed in this thread so far (tests). */
export function crcWorkerComputed(): number {
  return WORKER.computed;
}

/**
 * Keeps the worker running until the returned function is called (e.g. over an output shard's
 * many tensors, one stream each, so it is not stopped and started between them).
 */
export function holdCrcWorker(): () => void {
  WORKER.hold();
  let held = true;
  return () => {
    if (held) WORKER.release();
    held = false;
  };
}

/** A chunk's CRC (from the worker, or computed here) and length. */
interface Pending {
  crc: Promise<number>;
  length: number;
}

/** CRC-32C of chunks added in order (see module docs). Close it when done, or call {@link value}. */
export class Crc32cStream {
  /** The CRC of the chunks already combined. */
  #crc: number;
  #queue: Pending[] = [];
  #release: (() => void) | undefined;

  /**
   * A stream whose CRC extends `initial` (TF's Extend).
   *
   * @param initial crc32c of the bytes before the stream's, default 0
   */
  constructor(initial = 0) {
    this.#crc = initial >>> 0;
    this.#release = WORKER.usable ? holdCrcWorker() : undefined;
  }

  /**
   * Adds the next chunk. The bytes are read (or copied) before the promise settles, so the
   * caller may reuse the buffer then; it waits while the worker has no room ({@link IN_FLIGHT_BYTES}).
   */
  async add(bytes: Uint8Array): Promise<void> {
    if (
      !this.#release || bytes.length < OFFLOAD_MIN_BYTES || !WORKER.usable ||
      !(await WORKER.ready())
    ) {
      if (this.#queue.length === 0) this.#crc = crc32c(bytes, this.#crc);
      else {
        this.#queue.push({ crc: Promise.resolve(crc32c(bytes)), length: bytes.length });
      }
      return;
    }
    // Sent a piece at a time, so a chunk bigger than the bound stays within it too.
    for (let at = 0; at < bytes.length; at += PIECE_BYTES) {
      const piece = bytes.subarray(at, at + PIECE_BYTES);
      await WORKER.room(piece.length);
      const crc = WORKER.crc(piece);
      crc.catch(() => {}); // observed by #settleFirst
      this.#queue.push({ crc, length: piece.length });
    }
  }

  /** The CRC of everything added; closes the stream. */
  async value(): Promise<number> {
    try {
      while (this.#queue.length > 0) await this.#settleFirst();
      return this.#crc;
    } finally {
      this.close();
    }
  }

  /** Lets the worker stop (idempotent; chunks still at the worker are dropped). */
  close(): void {
    this.#release?.();
    this.#release = undefined;
  }

  async #settleFirst(): Promise<void> {
    const first = this.#queue[0];
    const crc = await first.crc;
    this.#queue.shift();
    this.#crc = crc32cCombine(this.#crc, crc, first.length);
  }
}
