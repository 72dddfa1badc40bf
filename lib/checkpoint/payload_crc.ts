/**
 * The checksum TF stores (masked) in a bundle entry, per dtype: CRC32C of the bytes for fixed-width
 * tensors, the string and variant running checksums otherwise (tensorflow/core/util/tensor_bundle/tensor_bundle.cc).
 *
 * @module
 */
import type { BundleEntry } from "./types.ts";
import { crc32c } from "../bytes/mod.ts";
import { DT_STRING, DT_VARIANT, numElements } from "./dtype.ts";
import { stringTensorCrc } from "./string_tensor.ts";
import { parseVariantTensor } from "./variant_tensor.ts";

/**
 * The unmasked checksum TF stores for a payload: CRC32C of the bytes for fixed-width types; the
 * string / variant running checksums (which also validate the payload's structure) otherwise.
 */
export function payloadCrc(
  entry: Pick<BundleEntry, "dtype" | "shape">,
  bytes: Uint8Array,
  location?: string,
): number {
  if (entry.dtype === DT_STRING) {
    return stringTensorCrc(
      bytes,
      numElements(entry.shape),
      location,
    );
  }
  if (entry.dtype === DT_VARIANT) {
    return parseVariantTensor(
      bytes,
      numElements(entry.shape),
      location,
    )
      .crc;
  }
  return crc32c(bytes);
}
