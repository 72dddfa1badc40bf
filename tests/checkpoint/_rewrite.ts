/**
 * Re-writes a bundle with our writer: every stored tensor in data order (shard, offset), slices via
 * addSlice, CRCs reused — TF's own Add order, so the output must equal TF's files.
 *
 * @module
 */
import { type BundleIndex, readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { BundleBuilder } from "../../lib/checkpoint/bundle_writer.ts";
import { dataLocation, indexLocation } from "../../lib/checkpoint/naming.ts";
import { decodeSliceKey, isSliceKey } from "../../lib/checkpoint/slice_key.ts";
import { readTensorBytes } from "../../lib/checkpoint/entry_reader.ts";
import type { Store } from "../../lib/storage/store.ts";

/** Copies `prefix` from `src` to `dstPrefix` on `dst`; `transform` may replace a tensor's bytes. */
export async function rewriteBundle(
  src: Store,
  prefix: string,
  dst: Store,
  dstPrefix: string,
  transform?: (name: string, dtype: number, data: Uint8Array) => Uint8Array | undefined,
): Promise<BundleIndex> {
  const index = await readBundleIndex(src, prefix);
  const stored = index.entries.filter((e) => e.slices.length === 0).sort((a, b) =>
    a.shardId - b.shardId || a.offset - b.offset
  );
  const b = new BundleBuilder({ numShards: index.header.numShards });
  for (const e of stored) {
    let data = await readTensorBytes(src, index, e);
    let crc: number | undefined = e.crc32c;
    if (isSliceKey(e.key) && index.entries.some((f) => f.slices.length > 0)) {
      const { fullKey, slice } = decodeSliceKey(e.key);
      const full = index.get(fullKey)!;
      const name = new TextDecoder().decode(fullKey);
      const changed = transform?.(`${name}@${JSON.stringify(slice)}`, e.dtype, data);
      if (changed) [data, crc] = [changed, undefined];
      b.addSlice(fullKey, full.dtype, full.shape, slice, data, { crc32c: crc, shardId: e.shardId });
    } else {
      const changed = transform?.(new TextDecoder().decode(e.key), e.dtype, data);
      if (changed) [data, crc] = [changed, undefined];
      b.add({ key: e.key, dtype: e.dtype, shape: e.shape, data, crc32c: crc, shardId: e.shardId });
    }
  }
  const n = index.header.numShards;
  for (let s = 0; s < n; s++) await dst.put(dataLocation(dstPrefix, s, n), b.shardBytes(s));
  await dst.put(indexLocation(dstPrefix), b.indexBytes());
  return index;
}
