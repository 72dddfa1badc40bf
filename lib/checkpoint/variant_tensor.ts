/**
 * DT_VARIANT payloads (tensor_bundle.cc, WriteVariantTensor), carried as opaque bytes: per element `varint64 L ‖ L bytes ‖
 * fixed32 Mask(running crc)`. The running checksum hashes each length as a uint64 (8 bytes), the
 * bytes, then the 4 stored checksum bytes; the entry stores its final value masked.
 *
 * @module
 */
import { CorruptCheckpointError } from "./errors.ts";
import { ByteReader, crc32c, maskCrc, unmaskCrc } from "../bytes/mod.ts";

/** The serialized VariantTensorDataProto of each element (views into `bytes`) and the crc. */
export function parseVariantTensor(
  bytes: Uint8Array,
  count: number,
  location?: string,
): { elements: Uint8Array[]; crc: number } {
  const r = new ByteReader(bytes);
  const len8 = new Uint8Array(8);
  const view = new DataView(len8.buffer);
  const elements: Uint8Array[] = [];
  let crc = 0;
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    try {
      const len = r.varint64();
      view.setUint32(0, len % 0x100000000, true);
      view.setUint32(4, Math.floor(len / 0x100000000), true);
      crc = crc32c(len8, crc);
      const el = r.bytes(len);
      crc = crc32c(el, crc);
      const stored = r.fixed32();
      if (unmaskCrc(stored) !== crc) {
        throw new CorruptCheckpointError(
          `Variant element ${i} checksum does not match in ${location ?? "variant tensor"}`,
          { location, offset: at, expected: unmaskCrc(stored), actual: crc },
        );
      }
      crc = crc32c(bytes.subarray(r.pos - 4, r.pos), crc);
      elements.push(el);
    } catch (e) {
      if (e instanceof CorruptCheckpointError) throw e;
      throw new CorruptCheckpointError(
        `Variant element ${i} runs past the tensor in ${location ?? "variant tensor"}`,
        { location, offset: at },
      );
    }
  }
  if (r.remaining !== 0) {
    throw new CorruptCheckpointError(
      `${r.remaining} trailing bytes after ${count} variant elements in ${
        location ?? "variant tensor"
      }`,
      { location, offset: r.pos, expected: 0, actual: r.remaining },
    );
  }
  return { elements, crc };
}

/** Encodes variant elements (each a serialized VariantTensorDataProto); `crc32c` is masked. */
export function encodeVariantTensor(elements: Uint8Array[]): { bytes: Uint8Array; crc32c: number } {
  const parts: number[] = [];
  const len8 = new Uint8Array(8);
  const view = new DataView(len8.buffer);
  let crc = 0;
  const out: Uint8Array[] = [];
  for (const el of elements) {
    let len = el.length;
    parts.length = 0;
    while (len >= 0x80) {
      parts.push((len % 128) | 0x80);
      len = Math.floor(len / 128);
    }
    parts.push(len);
    out.push(Uint8Array.from(parts));
    view.setUint32(0, el.length % 0x100000000, true);
    view.setUint32(4, Math.floor(el.length / 0x100000000), true);
    crc = crc32c(el, crc32c(len8, crc));
    out.push(el);
    const stored = new Uint8Array(4);
    new DataView(stored.buffer).setUint32(0, maskCrc(crc), true);
    crc = crc32c(stored, crc);
    out.push(stored);
  }
  const bytes = new Uint8Array(out.reduce((s, p) => s + p.length, 0));
  let pos = 0;
  for (const p of out) {
    bytes.set(p, pos);
    pos += p.length;
  }
  return { bytes, crc32c: maskCrc(crc) };
}
