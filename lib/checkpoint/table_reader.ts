/**
 * Reads TF's LevelDB-style table (the `.index` file) from bytes: footer → index block → every data
 * block, each block's trailer CRC verified, snappy blocks decompressed (tensorflow/core/lib/io/table.cc, block.cc). Errors are
 * CorruptCheckpointError naming the file and offset, with expected vs actual.
 *
 * @module
 */
import { CorruptCheckpointError } from "./errors.ts";
import { ByteReader, crc32c, unmaskCrc } from "../bytes/mod.ts";
import {
  BLOCK_TRAILER_LENGTH,
  BLOCK_TYPE_NONE,
  BLOCK_TYPE_SNAPPY,
  type BlockHandle,
  type Footer,
  FOOTER_LENGTH,
  readBlockHandle,
  TABLE_MAGIC_HI,
  TABLE_MAGIC_LO,
} from "./table_format.ts";
import { parseBlock, type TableEntry } from "./block_reader.ts";
import { snappyDecompress } from "./snappy.ts";
import { compareKeys, displayKey } from "./keys.ts";

export type { TableEntry } from "./block_reader.ts";

const hex32 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, "0")}`;

/** Decodes and checks the footer (last 48 bytes). */
export function readFooter(file: Uint8Array, location?: string): Footer {
  if (file.length < FOOTER_LENGTH) {
    throw new CorruptCheckpointError(
      `${
        location ?? "table"
      } is too short to be an sstable: ${file.length} bytes, need at least ${FOOTER_LENGTH}`,
      { location, expected: FOOTER_LENGTH, actual: file.length },
    );
  }
  const start = file.length - FOOTER_LENGTH;
  const r = new ByteReader(file, start);
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const lo = view.getUint32(file.length - 8, true);
  const hi = view.getUint32(file.length - 4, true);
  if (lo !== TABLE_MAGIC_LO || hi !== TABLE_MAGIC_HI) {
    throw new CorruptCheckpointError(
      `${location ?? "table"} is not an sstable (bad magic number)`,
      {
        location,
        offset: file.length - 8,
        expected: "0xdb4775248b80fb57",
        actual: `0x${hi.toString(16).padStart(8, "0")}${lo.toString(16).padStart(8, "0")}`,
      },
    );
  }
  try {
    const metaindex = readBlockHandle(r);
    const index = readBlockHandle(r);
    if (r.pos > file.length - 8) throw new RangeError("handles overlap the magic");
    return { metaindex, index };
  } catch (e) {
    throw new CorruptCheckpointError(
      `Bad block handle in the footer of ${location ?? "table"}: ${(e as Error).message}`,
      { location, offset: start },
    );
  }
}

/**
 * Reads one block: checks it lies inside the file (before the footer), verifies the masked CRC32C
 * over contents ‖ type byte, and decompresses snappy. Returns the uncompressed contents.
 */
export function readBlock(
  file: Uint8Array,
  handle: BlockHandle,
  kind: string,
  location?: string,
): Uint8Array {
  const where = `${kind} block at offset ${handle.offset} (${handle.size} bytes) in ${
    location ?? "table"
  }`;
  // Like TF's ReadBlock (tensorflow/core/lib/io/format.cc), a block must lie inside the file; its
  // checksum then decides whether its bytes are intact.
  const end = handle.offset + handle.size + BLOCK_TRAILER_LENGTH;
  const dataEnd = file.length;
  if (end > dataEnd) {
    throw new CorruptCheckpointError(
      `Truncated block read: ${where} ends at ${end}, past the end of the file (${dataEnd} bytes)`,
      { location, offset: handle.offset, expected: end, actual: dataEnd },
    );
  }
  const contents = file.subarray(handle.offset, handle.offset + handle.size);
  const type = file[handle.offset + handle.size];
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const stored = unmaskCrc(view.getUint32(handle.offset + handle.size + 1, true));
  const actual = crc32c(new Uint8Array([type]), crc32c(contents));
  if (stored !== actual) {
    throw new CorruptCheckpointError(`Block checksum mismatch: ${where}`, {
      location,
      offset: handle.offset,
      expected: hex32(stored),
      actual: hex32(actual),
    });
  }
  if (type === BLOCK_TYPE_NONE) return contents;
  if (type === BLOCK_TYPE_SNAPPY) {
    try {
      return snappyDecompress(contents);
    } catch (e) {
      throw new CorruptCheckpointError(
        `Corrupted compressed block contents: ${where}: ${(e as Error).message}`,
        { location, offset: handle.offset },
      );
    }
  }
  throw new CorruptCheckpointError(`Bad block type ${type}: ${where}`, {
    location,
    offset: handle.offset,
    expected: "0 (none) or 1 (snappy)",
    actual: type,
  });
}

/** Options of {@link readTable}. */
export interface ReadTableOptions {
  /** File name for error messages. */
  location?: string;
  /** Require strictly increasing keys across the table (default true). */
  requireSorted?: boolean;
}

/** Statistics of a parsed table. */
export interface TableInfo {
  footer: Footer;
  dataBlocks: BlockHandle[];
}

/**
 * All entries of a table file, in file order, the checksum of every block read verified. The
 * metaindex block is not read, like TF (tensorflow/core/lib/io/table.cc reads only the index
 * and data blocks): bytes TF ignores cannot fail a checkpoint TF reads. Unsorted or duplicate
 * keys are rejected.
 */
export function readTable(
  file: Uint8Array,
  options: ReadTableOptions = {},
): { entries: TableEntry[]; info: TableInfo } {
  const location = options.location;
  const footer = readFooter(file, location);
  const indexEntries = parseBlock(readBlock(file, footer.index, "index", location), {
    location,
    offset: footer.index.offset,
    kind: "index",
  });
  const entries: TableEntry[] = [];
  const dataBlocks: BlockHandle[] = [];
  let prevIndexKey: Uint8Array | undefined;
  for (const ie of indexEntries) {
    let handle: BlockHandle;
    try {
      const r = new ByteReader(ie.value);
      handle = readBlockHandle(r);
    } catch (e) {
      throw new CorruptCheckpointError(
        `Bad block handle in the index block of ${location ?? "table"}: ${(e as Error).message}`,
        { location, offset: footer.index.offset },
      );
    }
    dataBlocks.push(handle);
    const block = parseBlock(readBlock(file, handle, "data", location), {
      location,
      offset: handle.offset,
      kind: "data",
    });
    if (options.requireSorted !== false && block.length > 0) {
      // Every key of the block must be <= its index separator and > the previous separator.
      const last = block[block.length - 1].key;
      if (
        compareKeys(last, ie.key) > 0 ||
        (prevIndexKey && compareKeys(block[0].key, prevIndexKey) <= 0)
      ) {
        throw new CorruptCheckpointError(
          `Keys of the data block at offset ${handle.offset} in ${location ?? "table"} are not ` +
            `within its index separator ${displayKey(ie.key)}`,
          { location, offset: handle.offset, key: displayKey(last) },
        );
      }
    }
    prevIndexKey = ie.key;
    for (const e of block) entries.push(e);
  }
  if (options.requireSorted !== false) {
    for (let i = 1; i < entries.length; i++) {
      if (compareKeys(entries[i - 1].key, entries[i].key) >= 0) {
        throw new CorruptCheckpointError(
          `Keys in ${location ?? "table"} are not sorted: ${displayKey(entries[i].key)} after ${
            displayKey(entries[i - 1].key)
          }`,
          {
            location,
            key: displayKey(entries[i].key),
            expected: `a key greater than ${displayKey(entries[i - 1].key)}`,
            actual: displayKey(entries[i].key),
          },
        );
      }
    }
  }
  return { entries, info: { footer, dataBlocks } };
}
