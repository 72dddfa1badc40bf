/**
 * FileStore: the embedded default Store over local paths and `file://` URLs.
 *
 * - Writes land atomically: a temp file in the target's directory (created with O_EXCL), then
 *   `rename` (overwrite) or `link` (create-only: fails atomically if the target exists).
 * - ETag = `${size}-${mtimeMs}-${inode}`; every write makes a new inode, so it changes on replace.
 * - Reads with `ifMatch` check the ETag of the opened file descriptor (fstat), so the bytes read
 *   are exactly that version's.
 * - Uploads are hidden temp files beside the target (`.<name>.tmp-wsf-<id>`): parts are written
 *   at their offsets (by any process), completing renames (or links) the file into place.
 *
 * @module
 */
import * as posix from "node:path/posix";
import {
  NotRegularFileError,
  ObjectChangedError,
  ObjectNotFoundError,
  PreconditionFailedError,
  StorageError,
} from "./errors.ts";
import { parseLocation } from "./location.ts";
import { DEFAULT_PART_SIZE, MAX_PART_SIZE } from "./part_size.ts";
import { checkParts } from "./parts.ts";
import { checkRange } from "./range_header.ts";
import { fileKind, type OpenFile, openRegularFile } from "./regular_file.ts";
import type {
  ByteRange,
  CompleteOptions,
  CopyPiece,
  ObjectStat,
  PartResult,
  ReadOptions,
  Store,
  Upload,
  UploadPart,
  UploadRules,
  WriteOptions,
  WritePiece,
  WriteResult,
} from "./store.ts";

/** Options for {@link FileStore}. */
export interface FileStoreOptions {
  /** Where CopyPiece sources that are not local files are read from (e.g. a RoutingStore). */
  sourceReader?: Store;
  /** Chunk size for streaming copy pieces (default 8 MiB). */
  copyChunk?: number;
  /** fsync data before publishing (default true). */
  fsync?: boolean;
}

/** Marker in temp file names; list() skips these. */
const TEMP_MARK = ".tmp-wsf-";

/** Local-filesystem Store (see module docs). */
export class FileStore implements Store {
  readonly #opts: FileStoreOptions;

  /** Creates a file store. */
  constructor(options: FileStoreOptions = {}) {
    this.#opts = options;
  }

  /** True if this store serves `location` (local paths and file:// URLs). */
  static handles(location: string): boolean {
    return parseLocation(location).scheme === "file";
  }

  async stat(location: string, options?: ReadOptions): Promise<ObjectStat | undefined> {
    const path = toPath(location);
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
        return undefined;
      }
      throw fsError("stat", location, e);
    }
    if (info.isDirectory) return undefined;
    // A FIFO or device "exists" but is no object: refuse it here already (a read would block).
    const kind = fileKind(info);
    if (kind !== undefined) throw new NotRegularFileError(location, kind);
    const st = statOf(info);
    if (options?.ifMatch !== undefined && options.ifMatch !== st.etag) {
      throw changed(location, options.ifMatch, st.etag);
    }
    return st;
  }

  async read(location: string, options?: ReadOptions): Promise<Uint8Array> {
    return await this.#withFile(
      location,
      options,
      async (file, st) => await readFully(file, 0, st.size, location),
    );
  }

  async readRange(location: string, range: ByteRange, options?: ReadOptions): Promise<Uint8Array> {
    checkRange(range);
    if (range.length === 0) return new Uint8Array(0);
    return await this.#withFile(location, options, async (file, st) => {
      if (range.offset + range.length > st.size) {
        throw new StorageError(
          `Range ${range.offset}+${range.length} is past the end of ${location} (size ${st.size})`,
          { location, status: 416, retryable: false },
        );
      }
      return await readFully(file, range.offset, range.length, location, options?.into);
    });
  }

  async #withFile<T>(
    location: string,
    options: ReadOptions | undefined,
    fn: (f: OpenFile, st: ObjectStat) => Promise<T>,
  ): Promise<T> {
    options?.signal?.throwIfAborted();
    let file: OpenFile;
    try {
      file = await openRegularFile(toPath(location), location);
    } catch (e) {
      throw fsError("open", location, e);
    }
    try {
      const info = file.info;
      if (!info.isFile) throw new ObjectNotFoundError(`${location} is not a file`, { location });
      const st = statOf(info);
      if (options?.ifMatch !== undefined && options.ifMatch !== st.etag) {
        throw changed(location, options.ifMatch, st.etag);
      }
      return await fn(file, st);
    } finally {
      file.close();
    }
  }

  async list(prefix: string): Promise<string[]> {
    const isUrl = prefix.startsWith("file://");
    const pathPrefix = toPath(prefix);
    const dir = pathPrefix.endsWith("/") ? pathPrefix : posix.dirname(pathPrefix);
    const out: string[] = [];
    const walk = async (d: string): Promise<void> => {
      let entries: AsyncIterable<Deno.DirEntry>;
      try {
        entries = Deno.readDir(d);
        for await (const e of entries) {
          const p = d === "." && !pathPrefix.startsWith("./") ? e.name : posix.join(d, e.name);
          if (e.name.includes(TEMP_MARK)) continue;
          if (e.isDirectory) {
            if (p.startsWith(pathPrefix) || pathPrefix.startsWith(p + "/")) await walk(p);
          } else if (e.isFile && p.startsWith(pathPrefix)) {
            out.push(isUrl ? toFileUrl(p) : p);
          }
        }
      } catch (e) {
        if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return;
        throw fsError("list", d, e);
      }
    };
    await walk(dir === "" ? "." : dir);
    return out.sort();
  }

  async put(location: string, data: Uint8Array, options?: WriteOptions): Promise<WriteResult> {
    return await this.write(
      location,
      (async function* () {
        yield data;
      })(),
      options,
    );
  }

  async write(
    location: string,
    pieces: AsyncIterable<WritePiece>,
    options?: WriteOptions,
  ): Promise<WriteResult> {
    const path = toPath(location);
    const dir = posix.dirname(path);
    options?.signal?.throwIfAborted();
    if (options?.ifNoneMatch && (await this.stat(location)) !== undefined) {
      throw new PreconditionFailedError(`${location} already exists (create-only write)`, {
        location,
        status: 412,
      });
    }
    try {
      await Deno.mkdir(dir, { recursive: true });
    } catch (e) {
      throw fsError("mkdir", location, e);
    }
    const uploadId = crypto.randomUUID();
    const tmp = tempPath(path, uploadId);
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(tmp, { write: true, createNew: true });
      let size = 0;
      const durable = (this.#opts.fsync ?? true) && !options?.temporary;
      const flusher = durable ? new BackgroundFlush(tmp) : undefined;
      const buffers: Uint8Array[] = []; // the copy buffers, shared by the write's copy pieces
      try {
        for await (const piece of pieces) {
          options?.signal?.throwIfAborted();
          if (piece instanceof Uint8Array) {
            await writeAll(file, piece);
            size += piece.length;
          } else {
            size += await this.#copyInto(file, piece, buffers, options?.signal);
          }
          await flusher?.wrote(size);
        }
        await flusher?.done();
      } finally {
        flusher?.close();
      }
      if (durable) await file.syncData();
      const st = statOf(await file.stat());
      file.close();
      file = undefined;
      if (options?.defer) {
        // Staged: the temp file is the upload; completeUpload links or renames it into place.
        const upload = { location, uploadId, initiated: Date.now() };
        return {
          size,
          etag: "",
          staged: { upload, parts: [{ partNumber: 1, offset: 0, size, etag: st.etag }] },
        };
      }
      await publish(tmp, path, location, options?.ifNoneMatch === true);
      return { size, etag: st.etag };
    } catch (e) {
      try {
        file?.close();
      } catch { /* already closed */ }
      await Deno.remove(tmp).catch(() => {});
      // Filesystem errors get our types; the producer's or a source's own errors pass unchanged.
      throw isFsError(e) ? fsError("write", location, e) : e;
    }
  }

  async #copyInto(
    file: Deno.FsFile,
    piece: CopyPiece,
    buffers: Uint8Array[],
    signal?: AbortSignal,
  ): Promise<number> {
    checkRange(piece);
    const src = FileStore.handles(piece.copyFrom) ? this : this.#opts.sourceReader;
    if (!src) {
      throw new StorageError(`No reader for copy source ${piece.copyFrom}`, {
        location: piece.copyFrom,
      });
    }
    const chunk = this.#opts.copyChunk ?? 8 * 1024 * 1024;
    // Two buffers in turn: the next chunk is read while this one is written.
    for (let i = 0; i < 2; i++) {
      if (!buffers[i] || buffers[i].length < Math.min(chunk, piece.length)) {
        buffers[i] = new Uint8Array(
          Math.min(chunk, Math.max(piece.length, buffers[i]?.length ?? 0)),
        );
      }
    }
    const read = (done: number) =>
      src.readRange(
        piece.copyFrom,
        { offset: piece.offset + done, length: Math.min(chunk, piece.length - done) },
        { ifMatch: piece.ifMatch, signal, into: buffers[(done / chunk) & 1] },
      );
    let next: Promise<Uint8Array> | undefined = read(0);
    try {
      for (let done = 0; done < piece.length; done += chunk) {
        signal?.throwIfAborted();
        const bytes = await next!;
        next = done + chunk < piece.length ? read(done + chunk) : undefined;
        await writeAll(file, bytes);
      }
    } finally {
      await next?.catch(() => {});
    }
    return piece.length;
  }

  async delete(location: string): Promise<void> {
    try {
      await Deno.remove(toPath(location));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw fsError("delete", location, e);
    }
  }

  async createUpload(location: string): Promise<Upload> {
    const path = toPath(location);
    try {
      await Deno.mkdir(posix.dirname(path), { recursive: true });
      const uploadId = crypto.randomUUID();
      const file = await Deno.open(tempPath(path, uploadId), { write: true, createNew: true });
      file.close();
      return { location, uploadId, initiated: Date.now() };
    } catch (e) {
      throw fsError("createUpload", location, e);
    }
  }

  async uploadPart(
    upload: Upload,
    part: UploadPart,
    options?: { signal?: AbortSignal },
  ): Promise<PartResult> {
    checkRange({ offset: part.offset, length: 0 });
    const tmp = tempPath(toPath(upload.location), upload.uploadId);
    let file: Deno.FsFile;
    try {
      file = await Deno.open(tmp, { write: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw uploadGone(upload);
      throw fsError("uploadPart", upload.location, e);
    }
    try {
      await file.seek(part.offset, Deno.SeekMode.Start);
      const size = part.body instanceof Uint8Array
        ? (await writeAll(file, part.body), part.body.length)
        : await this.#copyInto(file, part.body, [], options?.signal);
      return {
        partNumber: part.partNumber,
        offset: part.offset,
        size,
        etag: `${part.offset}+${size}`,
      };
    } catch (e) {
      throw isFsError(e) ? fsError("uploadPart", upload.location, e) : e;
    } finally {
      file.close();
    }
  }

  async completeUpload(
    upload: Upload,
    parts: PartResult[],
    options?: CompleteOptions,
  ): Promise<WriteResult> {
    const path = toPath(upload.location);
    const tmp = tempPath(path, upload.uploadId);
    const size = checkParts(upload, parts);
    let info: Deno.FileInfo;
    try {
      const file = await Deno.open(tmp, { read: true, write: true });
      try {
        // A part written twice, longer the first time, must not leave bytes past the end.
        await file.truncate(size);
        if (this.#opts.fsync ?? true) await file.syncData();
        info = await file.stat();
      } finally {
        file.close();
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) throw uploadGone(upload);
      throw fsError("completeUpload", upload.location, e);
    }
    await publish(tmp, path, upload.location, options?.ifNoneMatch === true);
    return { size, etag: statOf(info).etag };
  }

  async abortUpload(upload: Upload): Promise<void> {
    await Deno.remove(tempPath(toPath(upload.location), upload.uploadId)).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw fsError("abortUpload", upload.location, e);
    });
  }

  /** Undefined: the parts of a local upload are written in place in its temp file. */
  async listParts(upload: Upload): Promise<PartResult[] | undefined> {
    const tmp = tempPath(toPath(upload.location), upload.uploadId);
    try {
      await Deno.stat(tmp);
    } catch (e) {
      // Gone for good: a listing does not bring it back.
      if (e instanceof Deno.errors.NotFound) throw uploadGone(upload, false);
      throw fsError("listParts", upload.location, e);
    }
    return undefined;
  }

  /** Parts of any size at any offset; nothing is copied server-side. */
  uploadRules(): UploadRules {
    return {
      minPartSize: 1,
      partSize: DEFAULT_PART_SIZE,
      equalParts: false,
      minCopySize: Number.MAX_SAFE_INTEGER,
      maxCopyPartSize: MAX_PART_SIZE,
    };
  }

  async listUploads(prefix: string): Promise<Upload[]> {
    const isUrl = prefix.startsWith("file://");
    const pathPrefix = toPath(prefix);
    const dir = pathPrefix.endsWith("/") ? pathPrefix : posix.dirname(pathPrefix);
    const out: Upload[] = [];
    try {
      for await (const e of Deno.readDir(dir === "" ? "." : dir)) {
        const m = TEMP_NAME.exec(e.name);
        if (!m || !e.isFile) continue;
        const path = posix.join(dir, m[1]);
        if (!path.startsWith(pathPrefix) && !(dir === "." && m[1].startsWith(pathPrefix))) continue;
        const info = await Deno.stat(posix.join(dir, e.name)).catch(() => undefined);
        out.push({
          location: isUrl ? toFileUrl(path) : path,
          uploadId: m[2],
          ...(info?.birthtime || info?.mtime
            ? { initiated: (info.birthtime ?? info.mtime)!.getTime() }
            : {}),
        });
      }
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) return [];
      throw fsError("listUploads", prefix, e);
    }
    return out.sort((a, b) => (a.location < b.location ? -1 : a.location > b.location ? 1 : 0));
  }

  copiesServerSide(): boolean {
    return false;
  }
}

/** `.<name>.tmp-wsf-<id>`: a hidden temp file beside its target. */
const TEMP_NAME = /^\.(.+)\.tmp-wsf-([0-9a-f-]{36})$/;

/** An upload id this store made: a UUID (an id from a job record is input, never a path). */
const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function tempPath(path: string, id: string): string {
  if (!UPLOAD_ID.test(id)) {
    throw new StorageError(`Not an upload id of a local file: ${JSON.stringify(id.slice(0, 80))}`, {
      location: path,
      status: 400,
      retryable: false,
    });
  }
  return posix.join(posix.dirname(path), `.${posix.basename(path)}${TEMP_MARK}${id}`);
}

function uploadGone(upload: Upload, retryable = true): StorageError {
  return new StorageError(
    `Upload ${upload.uploadId} of ${upload.location} no longer exists (aborted by another run?)`,
    { location: upload.location, status: 404, retryable },
  );
}

/** Moves a finished temp file into place: rename, or link when create-only. */
async function publish(tmp: string, path: string, location: string, createOnly: boolean) {
  try {
    if (createOnly) {
      await Deno.link(tmp, path);
      await Deno.remove(tmp);
    } else {
      await Deno.rename(tmp, path);
    }
  } catch (e) {
    if (e instanceof Deno.errors.AlreadyExists) {
      await Deno.remove(tmp).catch(() => {});
      throw new PreconditionFailedError(`${location} already exists (create-only write)`, {
        location,
        status: 412,
      });
    }
    throw fsError("publish", location, e);
  }
}

/**
 * Flushes a file being written to disk while it is written: every 64 MiB a sync of the data
 * so far starts (on a second descriptor, so writes go on meanwhile), so the final fsync only
 * waits for the tail instead of the whole file.
 */
class BackgroundFlush {
  static readonly EVERY = 64 * 1024 * 1024;
  #file: Deno.FsFile | undefined;
  #pending: Promise<void> | undefined;
  #next = BackgroundFlush.EVERY;

  constructor(readonly path: string) {}

  /** Called with the bytes written so far. */
  async wrote(size: number): Promise<void> {
    if (size < this.#next) return;
    this.#next = size + BackgroundFlush.EVERY;
    await this.#pending; // one sync at a time
    this.#file ??= await Deno.open(this.path, { read: true });
    this.#pending = this.#file.syncData();
    this.#pending.catch(() => {}); // a failure shows in the final fsync
  }

  /** Waits for the sync in flight. */
  async done(): Promise<void> {
    await this.#pending?.catch(() => {});
  }

  close(): void {
    try {
      this.#file?.close();
    } catch { /* already closed */ }
  }
}

function toPath(location: string): string {
  const p = parseLocation(location);
  if (p.scheme !== "file") throw new TypeError(`FileStore cannot handle ${location}`);
  return p.path;
}

function toFileUrl(path: string): string {
  return "file://" + encodeURI(path.startsWith("/") ? path : posix.join(Deno.cwd(), path));
}

function statOf(info: Deno.FileInfo): ObjectStat {
  const mtime = info.mtime?.getTime() ?? 0;
  return { size: info.size, etag: `${info.size}-${mtime}-${info.ino ?? 0}` };
}

function changed(location: string, expected: string, actual: string): ObjectChangedError {
  return new ObjectChangedError(
    `${location} changed during the job (ETag ${expected} -> ${actual}); rerun the job`,
    { location, status: 412 },
  );
}

function isFsError(e: unknown): boolean {
  return Object.values(Deno.errors).some((cls) => e instanceof cls);
}

function fsError(op: string, location: string, e: unknown): Error {
  if (e instanceof StorageError || e instanceof ObjectNotFoundError) return e;
  if (e instanceof Deno.errors.NotFound) {
    return new ObjectNotFoundError(`${location} does not exist`, { location });
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new StorageError(`${op} ${location} failed: ${msg}`, {
    location,
    retryable: false,
    cause: e,
  });
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.length;) off += await file.write(data.subarray(off));
}

async function readFully(
  file: OpenFile,
  offset: number,
  length: number,
  location: string,
  into?: Uint8Array,
): Promise<Uint8Array> {
  const out = into && into.length >= length ? into.subarray(0, length) : new Uint8Array(length);
  if (offset > 0) await file.seek(offset, Deno.SeekMode.Start);
  let got = 0;
  while (got < length) {
    const n = await file.read(out.subarray(got));
    if (n === null) {
      throw new StorageError(
        `Short read of ${location}: got ${got} of ${length} bytes at ${offset}`,
        {
          location,
          retryable: true,
        },
      );
    }
    got += n;
  }
  return out;
}
