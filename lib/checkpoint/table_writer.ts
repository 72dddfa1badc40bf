/**
 * Writes TF's LevelDB-style table byte-identically to tensorflow/core/lib/io/table_builder.cc with
 * TF's options: block_size 262144, restart interval 16 (index block 1), no compression, shortest
 * separators / short successor as index keys, an empty metaindex block, the 48-byte footer
 * (tensorflow/core/lib/io/table_builder.cc).
 *
 * @module
 */
import { ByteWriter, crc32c, maskCrc } from "../bytes/mod.ts";
import { BlockBuilder } from "./block_builder.ts";
import {
  BLOCK_TYPE_NONE,
  type BlockHandle,
  DATA_RESTART_INTERVAL,
  encodeBlockHandle,
  encodeFooter,
  TABLE_BLOCK_SIZE,
} from "./table_format.ts";
import { compareKeys, displayKey } from "./keys.ts";

/** LevelDB BytewiseComparator::FindShortestSeparator. */
export function shortestSeparator(start: Uint8Array, limit: Uint8Array): Uint8Array {
  const n = Math.min(start.length, limit.length);
  let i = 0;
  while (i < n && start[i] === limit[i]) i++;
  if (i >= n) return start;
  const b = start[i];
  if (b < 0xff && b + 1 < limit[i]) {
    const out = start.slice(0, i + 1);
    out[i] = b + 1;
    return out;
  }
  return start;
}

/** LevelDB BytewiseComparator::FindShortSuccessor. */
export function shortSuccessor(key: Uint8Array): Uint8Array {
  for (let i = 0; i < key.length; i++) {
    if (key[i] !== 0xff) {
      const out = key.slice(0, i + 1);
      out[i] = key[i] + 1;
      return out;
    }
  }
  return key;
}

/** Options of {@link TableWriter}; defaults are TF's. */
export interface TableWriterOptions {
  blockSize?: number;
}

/** Builds a table in memory from entries added in strictly increasing key order. */
export class TableWriter {
  readonly #blockSize: number;
  readonly #out = new ByteWriter(1024);
  readonly #data = new BlockBuilder(DATA_RESTART_INTERVAL);
  readonly #index = new BlockBuilder(1);
  #lastKey: Uint8Array = new Uint8Array(0);
  #entries = 0;
  #pending: BlockHandle | undefined;
  #finished = false;

  /** @param options block size (default 262144) */
  constructor(options: TableWriterOptions = {}) {
    this.#blockSize = options.blockSize ?? TABLE_BLOCK_SIZE;
  }

  /** Adds an entry; throws RangeError unless `key` is greater than the previous key. */
  add(key: Uint8Array, value: Uint8Array): void {
    if (this.#finished) throw new Error("TableWriter.add after finish");
    if (this.#entries > 0) {
      if (compareKeys(key, this.#lastKey) <= 0) {
        throw new RangeError(
          `Table keys must be added in increasing order: ${displayKey(key)} after ${
            displayKey(this.#lastKey)
          }`,
        );
      }
      if (key.length + value.length >= 2 * this.#blockSize) this.#flush();
    }
    if (this.#pending) {
      this.#index.add(shortestSeparator(this.#lastKey, key), encodeBlockHandle(this.#pending));
      this.#pending = undefined;
    }
    this.#lastKey = key;
    this.#entries++;
    this.#data.add(key, value);
    if (this.#data.sizeEstimate() >= this.#blockSize) this.#flush();
  }

  #writeBlock(block: BlockBuilder): BlockHandle {
    const contents = block.finish();
    const handle = { offset: this.#out.length, size: contents.length };
    this.#out.bytes(contents).u8(BLOCK_TYPE_NONE);
    this.#out.fixed32(maskCrc(crc32c(new Uint8Array([BLOCK_TYPE_NONE]), crc32c(contents))));
    block.reset();
    return handle;
  }

  #flush(): void {
    if (this.#data.empty) return;
    this.#pending = this.#writeBlock(this.#data);
  }

  /** Flushes the last block, writes metaindex, index and footer; returns the whole file. */
  finish(): Uint8Array {
    if (this.#finished) throw new Error("TableWriter.finish called twice");
    this.#finished = true;
    this.#flush();
    const metaindex = this.#writeBlock(new BlockBuilder(DATA_RESTART_INTERVAL));
    if (this.#pending) {
      this.#index.add(shortSuccessor(this.#lastKey), encodeBlockHandle(this.#pending));
      this.#pending = undefined;
    }
    const index = this.#writeBlock(this.#index);
    this.#out.bytes(encodeFooter({ metaindex, index }));
    return this.#out.finish();
  }
}
