/**
 * Reads tensor bytes through range reads on a Store: exactly the entry's bytes from its data shard,
 * checked against dtype × shape and its CRC32C (spec §5.5); partitioned tensors are assembled from
 * their slice entries into full row-major bytes (spec §6.2). Data files are never read whole.
 *
 * @module
 */
import { CorruptCheckpointError, NotFoundError, UnsupportedError } from "../errors.ts";
import type { Store } from "../storage/store.ts";
import type { BundleEntry } from "./types.ts";
import type { BundleIndex } from "./bundle_index.ts";
import { unmaskCrc } from "../bytes/crc32c.ts";
import { DT_STRING, DT_VARIANT, dtypeElementSize, dtypeName, numElements } from "./dtype.ts";
import { dataLocation, indexLocation } from "./naming.ts";
import { displayKey, keyBytes } from "./keys.ts";
import { checkSlices, formatSlice } from "./slice_geometry.ts";
import { copyBox } from "./box_copy.ts";
import { payloadCrc } from "./payload_crc.ts";

const hex32 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;

/** Shard sizes already stat'ed, per index object. */
const shardSizes = new WeakMap<BundleIndex, Map<number, Promise<number>>>();

/** Size of data shard `shardId` of the bundle (stat'ed once per index); NotFoundError if absent. */
export function shardSize(store: Store, index: BundleIndex, shardId: number): Promise<number> {
  let sizes = shardSizes.get(index);
  if (!sizes) shardSizes.set(index, sizes = new Map());
  let size = sizes.get(shardId);
  if (!size) {
    const location = dataLocation(index.prefix, shardId, index.header.numShards);
    size = store.stat(location).then((st) => {
      if (!st) {
        throw new NotFoundError(
          `Data file ${location} of checkpoint ${index.prefix} does not exist`,
          {
            location,
          },
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
  store: Store,
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
    if (!(e instanceof NotFoundError)) throw e;
    throw new NotFoundError(`${e.message} (needed for tensor ${key})`, { location, key });
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
 * The whole tensor `name` as stored bytes: the entry's payload for an ordinary tensor (string and
 * variant payloads as encoded), or for a partitioned fixed-width tensor the full tensor assembled
 * row-major from its slices. NotFoundError when the name or a slice is missing.
 */
export async function readTensor(
  store: Store,
  index: BundleIndex,
  name: string | Uint8Array,
): Promise<Uint8Array> {
  const entry = index.get(name);
  const key = displayKey(keyBytes(name));
  if (!entry) {
    throw new NotFoundError(`Key ${key} not found in checkpoint ${index.prefix}`, { key });
  }
  if (entry.slices.length === 0) return readTensorBytes(store, index, entry);
  const elem = dtypeElementSize(entry.dtype);
  if (elem === undefined) {
    throw new UnsupportedError(
      `Partitioned ${dtypeName(entry.dtype)} tensor ${key} cannot be assembled`,
      { key, actual: dtypeName(entry.dtype) },
    );
  }
  const boxes = checkSlices(entry.slices, entry.shape, { key });
  const total = numElements(entry.shape);
  const covered = boxes.reduce((s, b) => s + b.length.reduce((p, l) => p * l, 1), 0);
  if (covered !== total) {
    throw new CorruptCheckpointError(
      `Does not have sufficient slices for partitioned tensor ${key}: ${covered} of ${total} elements`,
      { key, expected: total, actual: covered },
    );
  }
  const parts = await Promise.all(entry.slices.map((slice, i) => {
    const sliceEntry = index.getSlice(entry.key, slice);
    if (!sliceEntry) {
      throw new NotFoundError(
        `Slice ${formatSlice(slice)} of ${key} not found in ${index.prefix}`,
        {
          key,
        },
      );
    }
    checkSliceEntry(entry, sliceEntry, boxes[i].length);
    return readTensorBytes(store, index, sliceEntry);
  }));
  const out = new Uint8Array(total * elem);
  for (let i = 0; i < parts.length; i++) copyBox(parts[i], boxes[i], out, entry.shape, elem);
  return out;
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
