/**
 * Routing by location scheme: `s3://` goes to one shared S3Store configured from the environment,
 * everything else (local paths, `file://`) to the FileStore. Callers hold one Store for mixed
 * locations; copy pieces across schemes are streamed through the router.
 *
 * @module
 */
import { FileStore } from "./file_store.ts";
import { isS3 } from "./location.ts";
import { S3Store, type S3StoreOptions } from "./s3_store.ts";
import type { Store } from "./store.ts";
import { STORE_METHODS } from "./wrap_store.ts";

/** Options for {@link RoutingStore}. */
export interface RoutingStoreOptions {
  /** Store for local paths (default: a FileStore reading foreign copy sources via the router). */
  file?: Store;
  /** Store for s3:// (default: an S3Store from the environment, created on first use). */
  s3?: Store;
  /** Options for the default S3Store. */
  s3Options?: S3StoreOptions;
}

/** A Store that dispatches each call by the location's scheme. */
export interface RoutingStore extends Store {
  /** The store serving `location`. */
  storeFor(location: string): Store;
}

/**
 * Creates a router; stores are built lazily unless given.
 *
 * @param options the stores (or S3 options) to route to
 * @returns the routing store
 */
export function routingStore(options: RoutingStoreOptions = {}): RoutingStore {
  let s3 = options.s3;
  const router = { storeFor } as RoutingStore;
  const file = options.file ?? new FileStore({ sourceReader: router });
  function storeFor(location: string): Store {
    if (!isS3(location)) return file;
    s3 ??= new S3Store({ sourceReader: router, ...options.s3Options });
    return s3;
  }
  // The location that picks the store: the first argument (a location, list prefix or upload),
  // or for copiesServerSide the target.
  const pick = (method: string, args: unknown[]): string => {
    if (method === "copiesServerSide") return args[1] as string;
    if (method === "uploadRules") return args[0] as string;
    const first = args[0];
    return typeof first === "string" ? first : (first as { location: string }).location;
  };
  for (const method of STORE_METHODS) {
    (router as unknown as Record<string, unknown>)[method] = (...args: never[]) =>
      (storeFor(pick(method, args))[method] as (...a: never[]) => unknown)(...args);
  }
  return router;
}

let shared: RoutingStore | undefined;

/**
 * The process-wide router (S3 configured from the environment on first s3:// use).
 *
 * @returns the shared router
 */
export function defaultStore(): RoutingStore {
  shared ??= routingStore();
  return shared;
}
