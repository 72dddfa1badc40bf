/**
 * An in-memory bundle writer, the twin of the readers: tensors are appended to their data shard in
 * Add order (like TF's BundleWriter), entries are sorted and written with the header into a
 * byte-identical `.index`. Partitioned tensors get a full entry listing their slices plus one slice
 * entry each (BundleWriter::AddSlice). Data shards are written first, the index last.
 *
 * @module
 */
import type { Store } from "../storage/mod.ts";
import type { BundleEntry, BundleHeader, TensorSlice } from "./types.ts";
import { maskCrc } from "../bytes/mod.ts";
import { payloadCrc } from "./payload_crc.ts";
import { DT_STRING, DT_VARIANT, dtypeElementSize, dtypeName, numElements } from "./dtype.ts";
import { compareKeys, displayKey, keyBytes, keyId } from "./keys.ts";
import { sliceBox } from "./slice_geometry.ts";
import { encodeSliceKey } from "./slice_key.ts";
import { defaultHeader, encodeBundleIndex } from "./bundle_index.ts";
import { dataLocation, indexLocation } from "./naming.ts";
import { encodeStringTensor } from "./string_tensor.ts";

/** One slice of a partitioned tensor to write. */
export interface SliceToWrite {
  /** The slice of the full tensor this is. */
  slice: TensorSlice;
  /** The slice's payload (row-major elements of the slice). */
  data: Uint8Array;
  /** Masked CRC32C of `data` when already known (reused verbatim). */
  crc32c?: number;
  /** Data shard (default 0). */
  shardId?: number;
}

/** A tensor to write: either `data` (plain) or `slices` (partitioned; `data` then unused). */
export interface TensorToWrite {
  /** Tensor key (UTF-8 when a string). */
  key: string | Uint8Array;
  /** TF DataType enum value. */
  dtype: number;
  /** Full shape. */
  shape: number[];
  /** Encoded payload: raw elements, or a DT_STRING / DT_VARIANT payload as stored. */
  data?: Uint8Array;
  /** Masked CRC32C of `data` when already known (reused verbatim). */
  crc32c?: number;
  /** Data shard (default 0). */
  shardId?: number;
  /** The slices of a partitioned tensor. */
  slices?: SliceToWrite[];
}

/** Options of {@link BundleBuilder} / {@link writeBundle}. */
export interface BundleWriterOptions {
  /** Number of data shards (default 1); tensors choose theirs with `shardId`. */
  numShards?: number;
}

/** Builds a bundle in memory: data shards and entries. */
export class BundleBuilder {
  /** The header the index will carry. */
  readonly header: BundleHeader;
  readonly #shards: Uint8Array[][];
  readonly #shardSizes: number[];
  readonly #entries = new Map<string, BundleEntry>();

  /**
   * An empty bundle with `options.numShards` data shards.
   *
   * @param options number of shards
   */
  constructor(options: BundleWriterOptions = {}) {
    const numShards = options.numShards ?? 1;
    if (!Number.isInteger(numShards) || numShards < 1) {
      throw new RangeError(`numShards must be a positive integer, got ${numShards}`);
    }
    this.header = defaultHeader(numShards);
    this.#shards = Array.from({ length: numShards }, () => []);
    this.#shardSizes = new Array(numShards).fill(0);
  }

  /** Entries added so far (unsorted). */
  get entries(): BundleEntry[] {
    return [...this.#entries.values()];
  }

  #append(
    key: Uint8Array,
    dtype: number,
    shape: number[],
    data: Uint8Array,
    crc?: number,
    shardId = 0,
  ): BundleEntry {
    const name = displayKey(key);
    if (key.length === 0) throw new RangeError("Tensor keys must not be empty");
    if (this.#entries.has(keyId(key))) throw new RangeError(`Duplicate tensor key ${name}`);
    if (!Number.isInteger(shardId) || shardId < 0 || shardId >= this.#shards.length) {
      throw new RangeError(`Shard ${shardId} of ${name} is not in [0, ${this.#shards.length})`);
    }
    if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
      throw new RangeError(`Invalid shape [${shape.join(", ")}] for ${name}`);
    }
    const elem = dtypeElementSize(dtype);
    if (elem !== undefined) {
      if (data.length !== numElements(shape) * elem) {
        throw new RangeError(
          `${name}: ${data.length} bytes do not match ${dtypeName(dtype)} [${shape.join(", ")}]`,
        );
      }
    } else if (dtype !== DT_STRING && dtype !== DT_VARIANT) {
      throw new RangeError(`${name}: dtype ${dtypeName(dtype)} cannot be saved`);
    }
    const entry: BundleEntry = {
      key,
      dtype,
      shape: [...shape],
      shardId,
      offset: this.#shardSizes[shardId],
      size: data.length,
      crc32c: crc ?? maskCrc(payloadCrc({ dtype, shape }, data)),
      slices: [],
    };
    this.#shards[shardId].push(data);
    this.#shardSizes[shardId] += data.length;
    this.#entries.set(keyId(key), entry);
    return entry;
  }

  /** Adds one tensor (plain, or partitioned when `slices` is given). */
  add(t: TensorToWrite): void {
    const key = keyBytes(t.key);
    if (t.slices && t.slices.length > 0) {
      for (const s of t.slices) {
        this.addSlice(key, t.dtype, t.shape, s.slice, s.data, {
          crc32c: s.crc32c,
          shardId: s.shardId,
        });
      }
      return;
    }
    if (!t.data) throw new RangeError(`${displayKey(key)}: no data and no slices`);
    this.#append(key, t.dtype, t.shape, t.data, t.crc32c, t.shardId ?? 0);
  }

  /**
   * BundleWriter::AddSlice: a full-slice is a plain tensor; otherwise the slice entry is appended
   * and the slice recorded on the full entry (created on first use).
   */
  addSlice(
    fullKey: string | Uint8Array,
    dtype: number,
    fullShape: number[],
    slice: TensorSlice,
    data: Uint8Array,
    options: { crc32c?: number; shardId?: number } = {},
  ): void {
    const key = keyBytes(fullKey);
    if (slice.every((e) => e.length === -1)) {
      this.#append(key, dtype, fullShape, data, options.crc32c, options.shardId ?? 0);
      return;
    }
    let full = this.#entries.get(keyId(key));
    if (!full) {
      full = {
        key,
        dtype,
        shape: [...fullShape],
        shardId: 0,
        offset: 0,
        size: 0,
        crc32c: 0,
        slices: [],
      };
      this.#entries.set(keyId(key), full);
    } else if (full.slices.length === 0) {
      throw new RangeError(`${displayKey(key)} was already added as a plain tensor`);
    } else if (full.dtype !== dtype || full.shape.join(",") !== fullShape.join(",")) {
      throw new RangeError(`Slices of ${displayKey(key)} disagree on dtype or shape`);
    }
    const sliceShape = sliceBox(slice, fullShape).length;
    this.#append(
      encodeSliceKey(key, slice),
      dtype,
      sliceShape,
      data,
      options.crc32c,
      options.shardId ?? 0,
    );
    full.slices.push(slice.map((e) => ({ ...e })));
  }

  /** The bytes of data shard `shardId`. */
  shardBytes(shardId: number): Uint8Array {
    const out = new Uint8Array(this.#shardSizes[shardId]);
    let pos = 0;
    for (const part of this.#shards[shardId]) {
      out.set(part, pos);
      pos += part.length;
    }
    return out;
  }

  /** The `.index` bytes. */
  indexBytes(): Uint8Array {
    return encodeBundleIndex(this.header, this.entries);
  }

  /** Entries sorted by key. */
  sortedEntries(): BundleEntry[] {
    return this.entries.sort((a, b) => compareKeys(a.key, b.key));
  }
}

/** A DT_STRING tensor ready for {@link writeBundle} (encodes the payload and its checksum). */
export function stringTensor(
  key: string | Uint8Array,
  shape: number[],
  strings: Uint8Array[],
): TensorToWrite {
  if (strings.length !== numElements(shape)) {
    throw new RangeError(`${strings.length} strings do not match shape [${shape.join(", ")}]`);
  }
  const { bytes, crc32c } = encodeStringTensor(strings);
  return { key, dtype: DT_STRING, shape, data: bytes, crc32c };
}

/**
 * Writes a whole bundle: every data shard (even empty ones), then `<prefix>.index`. Returns the
 * header and the entries written.
 */
export async function writeBundle(
  store: Store,
  prefix: string,
  tensors: TensorToWrite[],
  options: BundleWriterOptions = {},
): Promise<{ header: BundleHeader; entries: BundleEntry[] }> {
  const b = new BundleBuilder(options);
  for (const t of tensors) b.add(t);
  const n = b.header.numShards;
  for (let i = 0; i < n; i++) await store.put(dataLocation(prefix, i, n), b.shardBytes(i));
  await store.put(indexLocation(prefix), b.indexBytes());
  return { header: b.header, entries: b.sortedEntries() };
}
