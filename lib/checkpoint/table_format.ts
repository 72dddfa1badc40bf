/**
 * Fixed pieces of TF's LevelDB-style table (tensorflow/core/lib/io/format.{h,cc}): block handles,
 * the 48-byte footer with its magic, the 5-byte block trailer (tensorflow/core/lib/io/format.h).
 *
 * @module
 */
import { type ByteReader, ByteWriter } from "../bytes/mod.ts";

/** kTableMagicNumber, stored little-endian as the last 8 bytes. */
export const TABLE_MAGIC_LO = 0x8b80fb57;
/** High 32 bits of kTableMagicNumber. */
export const TABLE_MAGIC_HI = 0xdb477524;
/** Footer::kEncodedLength: 2 × 20 (max BlockHandle) + 8. */
export const FOOTER_LENGTH = 48;
/** kBlockTrailerSize: 1 type byte + fixed32 masked crc. */
export const BLOCK_TRAILER_LENGTH = 5;
/** Block compression types. */
export const BLOCK_TYPE_NONE = 0;
/** Snappy-compressed block. */
export const BLOCK_TYPE_SNAPPY = 1;
/** TF's table::Options block_size. */
export const TABLE_BLOCK_SIZE = 262144;
/** Restart interval of data and metaindex blocks. */
export const DATA_RESTART_INTERVAL = 16;

/** Where a block is: `size` excludes the trailer. */
export interface BlockHandle {
  offset: number;
  size: number;
}

/** The table footer. */
export interface Footer {
  metaindex: BlockHandle;
  index: BlockHandle;
}

/** Reads a BlockHandle (two varint64). */
export function readBlockHandle(r: ByteReader): BlockHandle {
  const offset = r.varint64();
  const size = r.varint64();
  return { offset, size };
}

/** Appends a BlockHandle. */
export function writeBlockHandle(w: ByteWriter, h: BlockHandle): void {
  w.varint(h.offset).varint(h.size);
}

/** Encodes a handle alone (the value of an index-block entry). */
export function encodeBlockHandle(h: BlockHandle): Uint8Array {
  const w = new ByteWriter(20);
  writeBlockHandle(w, h);
  return w.finish();
}

/** Encodes the 48-byte footer. */
export function encodeFooter(f: Footer): Uint8Array {
  const w = new ByteWriter(FOOTER_LENGTH);
  writeBlockHandle(w, f.metaindex);
  writeBlockHandle(w, f.index);
  while (w.length < FOOTER_LENGTH - 8) w.u8(0);
  w.fixed32(TABLE_MAGIC_LO).fixed32(TABLE_MAGIC_HI);
  return w.finish();
}
