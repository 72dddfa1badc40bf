/**
 * The `.index` of a bundle as data: header plus every entry, read in one request and validated like
 * TF's BundleReader (header first, versions, endianness), and its writer twin
 * {@link encodeBundleIndex}, byte-identical to TF's BundleWriter::Finish.
 *
 * @module
 */
import { CheckpointNotFoundError, CorruptCheckpointError, UnsupportedError } from "./errors.ts";
import { ObjectNotFoundError, readCapped, type Store } from "../storage/mod.ts";
import type { BundleEntry, BundleHeader, TensorSlice } from "./types.ts";
import { decodeEntry, decodeHeader, encodeEntry, encodeHeader } from "./entry_proto.ts";
import { readTable } from "./table_reader.ts";
import { TableWriter } from "./table_writer.ts";
import { compareKeys, displayKey, keyBytes, keyId } from "./keys.ts";
import { encodeSliceKey } from "./slice_key.ts";
import { indexLocation } from "./naming.ts";
import { kerasFileError, kerasFileKind } from "./keras_file.ts";

/** kTensorBundleVersion: the consumer version this reader implements. */
export const BUNDLE_VERSION = 1;
/** kTensorBundleMinProducer. */
export const BUNDLE_MIN_PRODUCER = 0;
/** Endianness value of BundleHeaderProto.BIG. */
export const ENDIANNESS_BIG = 1;

/**
 * Most data shards an index may declare: TF names shards with five digits
 * (tensor_bundle/naming.cc, `%05d-of-%05d`), and every shard holds at least one entry, so an
 * index also never declares more shards than it has entries. A count beyond either is refused
 * before anything is allocated or stat'ed per shard.
 */
export const MAX_SHARDS = 99_999;

/**
 * Most slices one partitioned tensor may have (their pairwise checks and lookups grow with the
 * count; TF's partitioners make tens to hundreds).
 */
export const MAX_SLICES = 10_000;

/**
 * Largest `.index` read by default (64 MiB; real ones hold ~50 bytes per tensor, so this is
 * about a million tensors). The index is read whole, then decoded: a larger one is refused
 * before it is read.
 */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;

/** The header TF's BundleWriter writes for `numShards` data files. */
export function defaultHeader(numShards = 1): BundleHeader {
  return {
    numShards,
    endianness: 0,
    version: { producer: BUNDLE_VERSION, minConsumer: 0, badConsumers: [] },
  };
}

/** A bundle's index: header and entries, with lookups by name and by slice. */
export interface BundleIndex {
  /** The checkpoint prefix the index was read from. */
  prefix: string;
  /** The header entry (key `""`). */
  header: BundleHeader;
  /** All non-header entries, sorted by key bytes, including slice entries. */
  entries: BundleEntry[];
  /** Entries that are not slice keys (what tf.train.list_variables shows), sorted by key. */
  variables(): BundleEntry[];
  /** The entry stored under `name` (UTF-8 encoded when a string). */
  get(name: string | Uint8Array): BundleEntry | undefined;
  /** The slice entry of a partitioned tensor. */
  getSlice(fullName: string | Uint8Array, slice: TensorSlice): BundleEntry | undefined;
}

/** Builds a {@link BundleIndex} over already-decoded, sorted entries. */
export function makeBundleIndex(
  prefix: string,
  header: BundleHeader,
  entries: BundleEntry[],
): BundleIndex {
  const byKey = new Map<string, BundleEntry>();
  for (const e of entries) byKey.set(keyId(e.key), e);
  let variables: BundleEntry[] | undefined;
  const get = (name: string | Uint8Array) => byKey.get(keyId(keyBytes(name)));
  return {
    prefix,
    header,
    entries,
    variables() {
      if (!variables) {
        // Like CheckpointReader: hide exactly the slice keys that full entries list.
        const hidden = new Set<string>();
        for (const e of entries) {
          for (const s of e.slices) hidden.add(keyId(encodeSliceKey(e.key, s)));
        }
        variables = entries.filter((e) => !hidden.has(keyId(e.key)));
      }
      return variables;
    },
    get,
    getSlice(fullName, slice) {
      return byKey.get(keyId(encodeSliceKey(keyBytes(fullName), slice)));
    },
  };
}

/** Checks a header the way TF's BundleReader does; throws typed errors. */
export function validateHeader(h: BundleHeader, location?: string): void {
  const v = h.version;
  if (v.producer < BUNDLE_MIN_PRODUCER) {
    throw new CorruptCheckpointError(
      `Checkpoint ${
        location ?? ""
      } has producer version ${v.producer} below ${BUNDLE_MIN_PRODUCER}`,
      { location, key: "", expected: `>= ${BUNDLE_MIN_PRODUCER}`, actual: v.producer },
    );
  }
  if (v.minConsumer > BUNDLE_VERSION) {
    throw new UnsupportedError(
      `Checkpoint ${location ?? ""} min consumer version ${v.minConsumer} above current version ` +
        `${BUNDLE_VERSION}; it was written by a newer TensorFlow format`,
      { location, key: "", expected: `<= ${BUNDLE_VERSION}`, actual: v.minConsumer },
    );
  }
  if (v.badConsumers.includes(BUNDLE_VERSION)) {
    throw new UnsupportedError(
      `Checkpoint ${location ?? ""} disallows consumer version ${BUNDLE_VERSION}`,
      { location, key: "", actual: `bad_consumers [${v.badConsumers.join(", ")}]` },
    );
  }
  if (h.endianness === ENDIANNESS_BIG) {
    throw new UnsupportedError(
      `Checkpoint ${location ?? ""} stores big-endian tensor data, which is not supported`,
      { location, key: "", expected: "LITTLE (0)", actual: "BIG (1)" },
    );
  }
  if (h.endianness !== 0) {
    throw new CorruptCheckpointError(
      `Checkpoint ${location ?? ""} has unknown endianness ${h.endianness}`,
      { location, key: "", expected: "0 or 1", actual: h.endianness },
    );
  }
  if (h.numShards < 0) {
    throw new CorruptCheckpointError(`Checkpoint ${location ?? ""} has negative num_shards`, {
      location,
      key: "",
      actual: h.numShards,
    });
  }
}

/** Decodes a whole `.index` file (already in memory). */
export function decodeBundleIndex(prefix: string, file: Uint8Array): BundleIndex {
  const location = indexLocation(prefix);
  const keras = kerasFileKind(file);
  if (keras) throw kerasFileError(location, keras);
  const { entries: raw } = readTable(file, { location });
  if (raw.length === 0 || raw[0].key.length !== 0) {
    throw new CorruptCheckpointError(
      `Missing header entry in ${location}: the first key must be "" (found ${
        raw.length === 0 ? "no entries" : displayKey(raw[0].key)
      })`,
      {
        location,
        key: "",
        expected: '""',
        actual: raw.length === 0 ? "none" : displayKey(raw[0].key),
      },
    );
  }
  const header = decodeHeader(raw[0].value, location);
  validateHeader(header, location);
  const maxShards = Math.min(MAX_SHARDS, Math.max(1, raw.length - 1));
  if (header.numShards > maxShards) {
    throw new CorruptCheckpointError(
      `Checkpoint ${location} declares ${header.numShards} data shards but has ${
        raw.length - 1
      } entries (at most ${maxShards} shards possible)`,
      { location, key: "", expected: `<= ${maxShards}`, actual: header.numShards },
    );
  }
  const entries: BundleEntry[] = [];
  for (let i = 1; i < raw.length; i++) {
    const e = decodeEntry(raw[i].key, raw[i].value, location);
    if (e.slices.length === 0 && e.shardId >= header.numShards) {
      throw new CorruptCheckpointError(
        `Entry ${
          displayKey(e.key)
        } in ${location} names data shard ${e.shardId} of ${header.numShards}`,
        { location, key: displayKey(e.key), expected: `< ${header.numShards}`, actual: e.shardId },
      );
    }
    if (e.slices.length > MAX_SLICES) {
      throw new CorruptCheckpointError(
        `Entry ${displayKey(e.key)} in ${location} has ${e.slices.length} slices ` +
          `(at most ${MAX_SLICES} supported)`,
        { location, key: displayKey(e.key), expected: `<= ${MAX_SLICES}`, actual: e.slices.length },
      );
    }
    for (const s of e.slices) {
      if (s.length !== e.shape.length) {
        throw new CorruptCheckpointError(
          `Slice of ${
            displayKey(e.key)
          } in ${location} has rank ${s.length}, tensor has ${e.shape.length}`,
          { location, key: displayKey(e.key), expected: e.shape.length, actual: s.length },
        );
      }
    }
    entries.push(e);
  }
  return makeBundleIndex(prefix, header, entries);
}

/** Options of {@link readBundleIndex}. */
export interface ReadIndexOptions {
  /** Largest index read (default {@link MAX_INDEX_BYTES}); checked by a stat before reading. */
  maxBytes?: number;
}

/**
 * Reads and validates `<prefix>.index` with one whole-object read, its size checked first.
 * Throws CheckpointNotFoundError when it does not exist, ObjectTooLargeError above the cap,
 * CorruptCheckpointError / UnsupportedError for bad contents.
 */
export async function readBundleIndex(
  store: Store,
  prefix: string,
  options: ReadIndexOptions = {},
): Promise<BundleIndex> {
  const location = indexLocation(prefix);
  let file: Uint8Array;
  try {
    file = await readCapped(
      store,
      location,
      options.maxBytes ?? MAX_INDEX_BYTES,
      "Checkpoint index",
    );
  } catch (e) {
    if (e instanceof ObjectNotFoundError) {
      throw new CheckpointNotFoundError(`Checkpoint index ${location} does not exist`, {
        location,
      });
    }
    throw e;
  }
  return decodeBundleIndex(prefix, file);
}

/**
 * The `.index` bytes for `header` and `entries` (any order; sorted here by key bytes, header
 * prepended), byte-identical to TF. Throws RangeError on empty or duplicate keys.
 */
export function encodeBundleIndex(header: BundleHeader, entries: BundleEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => compareKeys(a.key, b.key));
  const table = new TableWriter();
  table.add(new Uint8Array(0), encodeHeader(header));
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    if (e.key.length === 0) throw new RangeError("Tensor keys must not be empty");
    if (i > 0 && compareKeys(sorted[i - 1].key, e.key) === 0) {
      throw new RangeError(`Duplicate tensor key ${displayKey(e.key)}`);
    }
    table.add(e.key, encodeEntry(e));
  }
  return table.finish();
}
