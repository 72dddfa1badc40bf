/**
 * Store policies as wrappers that override only what they change: `wrapStore(inner, overrides)`
 * returns a Store whose methods are the overrides where given and `inner`'s otherwise (after
 * zarrita.js `defineStoreExtension`). A policy is one small object of overrides; new Store
 * methods are forwarded by every policy without touching it.
 *
 * @module
 */
import type { Store } from "./store.ts";

/** The methods every Store has, in the order the interface lists them. */
export const STORE_METHODS = [
  "stat",
  "read",
  "readRange",
  "list",
  "put",
  "write",
  "delete",
  "createUpload",
  "uploadPart",
  "completeUpload",
  "abortUpload",
  "listUploads",
  "listParts",
  "uploadRules",
  "copiesServerSide",
] as const satisfies ReadonlyArray<keyof Store>;

/**
 * A Store made of `overrides` plus `inner`'s remaining methods; extra members of `overrides`
 * (a policy's own API, e.g. `pin`) are kept as they are.
 *
 * @param inner the wrapped store
 * @param overrides the methods this policy changes, and its own members
 * @returns the wrapped store
 *
 * @example Count reads, forward everything else
 * ```ts
 * import assert from "node:assert/strict";
 * import { FileStore, wrapStore } from "@warm-start/core/storage";
 * let reads = 0;
 * const counted = wrapStore(new FileStore(), {
 *   read(location, options) {
 *     reads++;
 *     return new FileStore().read(location, options);
 *   },
 * });
 * await counted.stat("deno.json");
 * assert.ok(reads === 0);
 * ```
 */
export function wrapStore<E extends Partial<Store>>(inner: Store, overrides: E): Store & E {
  const out: Record<string, unknown> = { ...overrides };
  for (const method of STORE_METHODS) {
    if (out[method] === undefined) out[method] = inner[method].bind(inner);
  }
  return out as unknown as Store & E;
}
