/**
 * Reading an object that is small by nature (a job file, a `checkpoint` state file, a `.meta`)
 * with its size checked BEFORE any byte is read: one stat, a refusal above the cap, then one read
 * pinned to the stat's ETag, so the bytes read are exactly the object that was measured (a
 * replacement in between fails the read instead of slipping a larger object through). A `fresh`
 * read (bookkeeping objects other runs rewrite) is re-checked after the read instead.
 *
 * @module
 */
import { ObjectNotFoundError, ObjectTooLargeError } from "./errors.ts";
import type { ReadOptions, Store } from "./store.ts";

/**
 * The whole object at `location`, at most `maxBytes` of it.
 *
 * @param store where to read (a job's store: the allow-list and pinning apply)
 * @param location the object
 * @param maxBytes the cap
 * @param what what the object is, for the error (e.g. `Job file`)
 * @param options read options (`fresh`, abort signal); `ifMatch`: the version that must be read
 *   (else ObjectChangedError)
 * @returns the bytes
 * @throws ObjectNotFoundError when it does not exist; ObjectTooLargeError above the cap
 */
export async function readCapped(
  store: Store,
  location: string,
  maxBytes: number,
  what: string,
  options: ReadOptions = {},
): Promise<Uint8Array> {
  const st = await store.stat(location, options);
  if (st === undefined) throw new ObjectNotFoundError(`${location} does not exist`, { location });
  if (st.size > maxBytes) throw new ObjectTooLargeError(location, what, st.size, maxBytes);
  // A `fresh` read is of a bookkeeping object other runs rewrite at any time (a claim, a marker):
  // pinning it to the stat would fail on every rewrite, so its size is checked again after.
  const bytes = await store.read(
    location,
    options.fresh ? options : { ...options, ifMatch: st.etag },
  );
  if (bytes.length > maxBytes) {
    throw new ObjectTooLargeError(location, what, bytes.length, maxBytes);
  }
  return bytes;
}
