/**
 * Keras's own files are not TensorFlow checkpoints: `.weights.h5` is HDF5 and `.keras` a zip
 * archive. Recognised by their first bytes wherever a checkpoint location is opened, so a user
 * who passes one learns how to save a TF checkpoint instead of reading "no checkpoint".
 *
 * @module
 */
import type { Store } from "../storage/mod.ts";
import { KerasFileError } from "./errors.ts";

/** HDF5 superblock signature (`.weights.h5`, and `.h5` models). */
const HDF5 = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** Zip local file header (`.keras` archives). */
const ZIP = [0x50, 0x4b, 0x03, 0x04];

/** What kind of Keras file `head` (the first bytes of a file) starts, if any. */
export function kerasFileKind(head: Uint8Array): "hdf5" | "zip" | undefined {
  const starts = (magic: number[]) =>
    head.length >= magic.length && magic.every((b, i) => head[i] === b);
  return starts(HDF5) ? "hdf5" : starts(ZIP) ? "zip" : undefined;
}

/** The error for a Keras file at `location`. */
export function kerasFileError(location: string, kind: "hdf5" | "zip"): KerasFileError {
  const what = kind === "hdf5"
    ? "a Keras weights file (.weights.h5, HDF5)"
    : "a Keras model archive (.keras, zip)";
  return new KerasFileError(
    `${location} is ${what}, not a TensorFlow checkpoint. Save a TF checkpoint from Keras with ` +
      "tf.train.Checkpoint(model=model).write(prefix) (tf-keras: " +
      "tf.train.Checkpoint(model=model, optimizer=model.optimizer)) and pass that prefix.",
    { location },
  );
}

/**
 * Throws {@link KerasFileError} when `location` is a Keras file; otherwise does nothing (a
 * missing object or any other content is left to the caller's own error).
 */
export async function refuseKerasFile(store: Store, location: string): Promise<void> {
  const st = await store.stat(location);
  if (!st || st.size < HDF5.length) return;
  const kind = kerasFileKind(await store.readRange(location, { offset: 0, length: HDF5.length }));
  if (kind) throw kerasFileError(location, kind);
}
