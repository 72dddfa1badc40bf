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
import type {
  ByteRange,
  ObjectStat,
  ReadOptions,
  Store,
  WriteOptions,
  WritePiece,
  WriteResult,
} from "./store.ts";

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
export class RoutingStore implements Store {
  readonly #file: Store;
  #s3: Store | undefined;
  readonly #s3Options: S3StoreOptions;

  /** Creates a router; stores are built lazily unless given. */
  constructor(options: RoutingStoreOptions = {}) {
    this.#file = options.file ?? new FileStore({ sourceReader: this });
    this.#s3 = options.s3;
    this.#s3Options = options.s3Options ?? {};
  }

  /** The store serving `location`. */
  storeFor(location: string): Store {
    if (!isS3(location)) return this.#file;
    this.#s3 ??= new S3Store({ sourceReader: this, ...this.#s3Options });
    return this.#s3;
  }

  stat(location: string, options?: ReadOptions): Promise<ObjectStat | undefined> {
    return this.storeFor(location).stat(location, options);
  }
  read(location: string, options?: ReadOptions): Promise<Uint8Array> {
    return this.storeFor(location).read(location, options);
  }
  readRange(location: string, range: ByteRange, options?: ReadOptions): Promise<Uint8Array> {
    return this.storeFor(location).readRange(location, range, options);
  }
  list(prefix: string): Promise<string[]> {
    return this.storeFor(prefix).list(prefix);
  }
  put(location: string, data: Uint8Array, options?: WriteOptions): Promise<WriteResult> {
    return this.storeFor(location).put(location, data, options);
  }
  write(
    location: string,
    pieces: AsyncIterable<WritePiece>,
    options?: WriteOptions,
  ): Promise<WriteResult> {
    return this.storeFor(location).write(location, pieces, options);
  }
  delete(location: string): Promise<void> {
    return this.storeFor(location).delete(location);
  }
}

let shared: RoutingStore | undefined;

/** The process-wide RoutingStore (S3 configured from the environment on first s3:// use). */
export function defaultStore(): RoutingStore {
  shared ??= new RoutingStore();
  return shared;
}

/** The store serving `location`, from the process-wide router. */
export function storeFor(location: string): Store {
  return defaultStore().storeFor(location);
}
