/**
 * Reads the bytes of one bundle entry (a plain tensor or one slice) through a range read: exactly
 * the entry's bytes from its data shard, checked against dtype × shape, against the shard's size
 * before anything is allocated, and against the stored CRC32C (TF's BundleReader::GetValue in
 * tensorflow/core/util/tensor_bundle/tensor_bundle.cc). Data files are never read whole.
 *
 * @module
 */
import { CorruptCheckpointError, UnsupportedError } from "./errors.ts";
import { type ByteRange, ObjectNotFoundError, type ReadOptions } from "../storage/mod.ts";
import type { BundleEntry } from "./types.ts";
import type { BundleIndex } from "./bundle_index.ts";
import { unmaskCrc } from "../bytes/mod.ts";
import { DT_STRING, DT_VARIANT, dtypeElementSize, dtypeName, numElements } from "./dtype.ts";
import { dataLocation, indexLocation } from "./naming.ts";
import { displayKey } from "./keys.ts";
import { payloadCrc } from "./payload_crc.ts";

/** What entries are read through: range reads and a stat (a Store is one). */
export interface EntrySource {
  /** Exactly `range.length` bytes at `range.offset`. */
  readRange(location: string, range: ByteRange, options?: ReadOptions): Promise<Uint8Array>;
  /** Size of an object, or undefined when it does not exist. */
  stat(location: string): Promise<{ size: number } | undefined>;
}

const hex32 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;

/** Shard sizes already stat'ed, per index object. */
const shardSizes = new WeakMap<BundleIndex, Map<number, Promise<number>>>();

/**
 * Size of data shard `shardId` of the bundle (stat'ed once per index).
 *
 * @throws ObjectNotFoundError when the shard does not exist
 */
export function shardSize(
  store: Pick<EntrySource, "stat">,
  index: BundleIndex,
  shardId: number,
): Promise<number> {
  let sizes = shardSizes.get(index);
  if (!sizes) shardSizes.set(index, sizes = new Map());
  let size = sizes.get(shardId);
  if (!size) {
    const location = dataLocation(index.prefix, shardId, index.header.numShards);
    size = store.stat(location).then((st) => {
      if (!st) {
        throw new ObjectNotFoundError(
          `Data file ${location} of checkpoint ${index.prefix} does not exist`,
          { location },
        );
      }
      return st.size;
    });
    size.catch(() => sizes!.delete(shardId));
    sizes.set(shardId, size);
  }
  return size;
}

/**
 * Checks an entry's size against dtype × shape (exact for fixed-width types, a lower bound for
 * strings) and that it lies in a valid shard. Throws CorruptCheckpointError.
 */
export function checkEntrySize(index: BundleIndex, entry: BundleEntry): void {
  const key = displayKey(entry.key);
  // The entry itself is wrong: errors name the index file.
  const location = indexLocation(index.prefix);
  if (entry.shardId >= index.header.numShards) {
    throw new CorruptCheckpointError(
      `Entry ${key} names data shard ${entry.shardId} but the bundle has ${index.header.numShards}`,
      { location, key, expected: `< ${index.header.numShards}`, actual: entry.shardId },
    );
  }
  const n = numElements(entry.shape);
  const elem = dtypeElementSize(entry.dtype);
  if (elem !== undefined) {
    if (entry.size !== n * elem) {
      throw new CorruptCheckpointError(
        `Invalid size in bundle entry: key ${key}; stored size ${entry.size}; expected size ${
          n * elem
        } (${dtypeName(entry.dtype)} [${entry.shape.join(", ")}]) in ${location}`,
        { location, key, offset: entry.offset, expected: n * elem, actual: entry.size },
      );
    }
  } else if (entry.dtype === DT_STRING) {
    if (entry.size < n + 4) {
      throw new CorruptCheckpointError(
        `Invalid size in bundle entry: key ${key}; stored size ${entry.size} is below the minimum ${
          n + 4
        } for ${n} strings in ${location}`,
        { location, key, offset: entry.offset, expected: `>= ${n + 4}`, actual: entry.size },
      );
    }
  } else if (entry.dtype !== DT_VARIANT) {
    throw new UnsupportedError(`Entry ${key} has unsupported dtype ${dtypeName(entry.dtype)}`, {
      location,
      key,
      actual: entry.dtype,
    });
  }
}

/**
 * Exactly the bytes of one (non-partitioned or slice) entry, from one range read, verified:
 * size vs dtype × shape, extent inside the data file (checked by stat before any allocation),
 * CRC32C against the stored masked checksum.
 */
export async function readTensorBytes(
  store: EntrySource,
  index: BundleIndex,
  entry: BundleEntry,
): Promise<Uint8Array> {
  const key = displayKey(entry.key);
  if (entry.slices.length > 0) {
    throw new UnsupportedError(
      `Entry ${key} is a partitioned tensor's full entry; read it with readTensor()`,
      { key },
    );
  }
  checkEntrySize(index, entry);
  const location = dataLocation(index.prefix, entry.shardId, index.header.numShards);
  let fileSize: number;
  try {
    fileSize = await shardSize(store, index, entry.shardId);
  } catch (e) {
    if (!(e instanceof ObjectNotFoundError)) throw e;
    throw new ObjectNotFoundError(`${e.message} (needed for tensor ${key})`, { location });
  }
  if (entry.offset + entry.size > fileSize) {
    throw new CorruptCheckpointError(
      `Entry ${key} points past the end of ${location}: bytes [${entry.offset}, ${
        entry.offset + entry.size
      }) of a ${fileSize}-byte file`,
      {
        location,
        key,
        offset: entry.offset,
        expected: `<= ${fileSize}`,
        actual: entry.offset + entry.size,
      },
    );
  }
  const bytes = await store.readRange(location, { offset: entry.offset, length: entry.size });
  if (bytes.length !== entry.size) {
    throw new CorruptCheckpointError(`Short read of ${key} from ${location}`, {
      location,
      key,
      offset: entry.offset,
      expected: entry.size,
      actual: bytes.length,
    });
  }
  const expected = unmaskCrc(entry.crc32c);
  let actual: number;
  try {
    actual = payloadCrc(entry, bytes, location);
  } catch (e) {
    if (!(e instanceof CorruptCheckpointError)) throw e;
    throw new CorruptCheckpointError(`${e.message} (tensor ${key})`, {
      location,
      key,
      offset: entry.offset + (e.offset ?? 0),
      expected: e.expected,
      actual: e.actual,
    });
  }
  if (expected !== actual) {
    throw new CorruptCheckpointError(
      `Checksum does not match for ${key} in ${location} at offset ${entry.offset} (${entry.size} bytes)`,
      { location, key, offset: entry.offset, expected: hex32(expected), actual: hex32(actual) },
    );
  }
  return bytes;
}

/**
 * Checks every stored entry of an index (plain tensors and slices) against the data shards'
 * sizes before anything is planned: bytes inside their shard, and for fixed-width dtypes exactly
 * dtype × shape. Every count the index states — elements, rows, columns — is then bounded by
 * bytes that exist, so nothing sized by a shape can outgrow the files (TF checks the same when it
 * reads each tensor).
 *
 * @param index the bundle's index
 * @param shardSizes the size of every data shard, by shard id
 * @throws CorruptCheckpointError naming the first bad entry
 */
export function checkEntryExtents(index: BundleIndex, shardSizes: readonly number[]): void {
  for (const entry of index.entries) {
    if (entry.slices.length > 0) continue; // a partitioned tensor's full entry holds no bytes
    const key = displayKey(entry.key);
    const elem = dtypeElementSize(entry.dtype);
    if (elem !== undefined) checkEntrySize(index, entry);
    const size = shardSizes[entry.shardId];
    if (size === undefined || entry.offset + entry.size > size) {
      const data = dataLocation(index.prefix, entry.shardId, index.header.numShards);
      throw new CorruptCheckpointError(
        `Entry ${key} points past the end of ${data}: bytes [${entry.offset}, ` +
          `${entry.offset + entry.size}) of a ${size ?? 0}-byte file`,
        {
          location: data,
          key,
          offset: entry.offset,
          expected: `<= ${size ?? 0}`,
          actual: entry.offset + entry.size,
        },
      );
    }
  }
}

/** A slice entry must have the full entry's dtype and the slice's extents as its shape. */
export function checkSliceEntry(full: BundleEntry, slice: BundleEntry, lengths: number[]): void {
  const key = displayKey(full.key);
  if (slice.dtype !== full.dtype || slice.shape.join(",") !== lengths.join(",")) {
    throw new CorruptCheckpointError(
      `Slice entry of ${key} has ${dtypeName(slice.dtype)} [${slice.shape.join(", ")}], expected ${
        dtypeName(full.dtype)
      } [${lengths.join(", ")}]`,
      {
        key,
        expected: `${dtypeName(full.dtype)} [${lengths.join(", ")}]`,
        actual: `${dtypeName(slice.dtype)} [${slice.shape.join(", ")}]`,
      },
    );
  }
}
