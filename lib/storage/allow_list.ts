/**
 * The allow-list (WARM_START_ALLOWED) as a store policy: every location of every call — stat,
 * read, readRange, list, put, write, delete, the uploads (create, part, complete, abort, list),
 * and the source of every copy piece of a write or a part — must lie under one of the allowed
 * prefixes, or the call fails with LocationNotAllowedError before
 * the store below sees it. It sits innermost in the job's policy stack (job_store.ts), so no code
 * path of a job, the engine's, the runner's or pinning's own stats, can go around it.
 *
 * What "under" means, by construction:
 *
 * - Entries are directories. `/data` admits `/data/x`, never `/data-other/x` nor `/data` itself;
 *   `s3://models/prod` admits the keys `prod/…` of bucket `models`, never the object `prod`.
 * - Checks apply to the concrete object: `s3://models/prod` is the object with key `prod`, which
 *   is not under `s3://models/prod/`. S3 keys are literal; a key with a `.` or `..` segment is
 *   refused outright (some servers map keys to paths) rather than guessed at.
 * - Local paths are compared after resolving `.`/`..` against the working directory, and then
 *   again after resolving symbolic links (`realPath` of the deepest existing ancestor): a symlink
 *   inside the allowed tree that points outside it is refused for reads and writes alike, while
 *   one pointing inside stays usable. A path swapped for a symlink between the check and the
 *   open is not caught (that needs openat2's RESOLVE_BENEATH, which Deno does not offer).
 *
 * @module
 */
import * as posix from "node:path/posix";
import { clip, LocationNotAllowedError } from "./errors.ts";
import { parseLocation } from "./location.ts";
import type { Store, WritePiece } from "./store.ts";
import { wrapStore } from "./wrap_store.ts";

/**
 * Canonical form of a location for prefix comparison: `s3://bucket/key` or an absolute posix
 * path (a trailing slash kept). Returns undefined for S3 keys with `.`/`..` segments.
 *
 * @param location the location
 * @param baseDir what relative local paths resolve against (default: the working directory)
 */
export function canonicalLocation(location: string, baseDir?: string): string | undefined {
  const parsed = parseLocation(location);
  if (parsed.scheme === "s3") {
    if (parsed.key.split("/").some((s) => s === "." || s === "..")) return undefined;
    return `s3://${parsed.bucket}/${parsed.key}`;
  }
  const resolved = posix.resolve(baseDir ?? Deno.cwd(), parsed.path);
  return parsed.path.endsWith("/") && resolved !== "/" ? `${resolved}/` : resolved;
}

/**
 * Canonical directory prefixes from the comma-separated WARM_START_ALLOWED value: each ends with
 * `/` (an entry names a directory, never a string prefix).
 *
 * @param value the variable's value
 * @param baseDir what relative local entries resolve against
 * @throws TypeError for an entry that cannot be a prefix (no bucket, `.`/`..` key segments)
 */
export function parseAllowList(value: string, baseDir?: string): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "").map((prefix) => {
    let canonical: string | undefined;
    try {
      canonical = canonicalLocation(prefix, baseDir);
    } catch {
      canonical = undefined;
    }
    if (canonical === undefined) throw new TypeError(`Invalid allow-list prefix "${prefix}"`);
    return canonical.endsWith("/") ? canonical : `${canonical}/`;
  });
}

/**
 * True when `location` is under one of `allowed` (undefined = allow everything), comparing
 * canonical forms only (see module docs; symbolic links are checked by {@link withAllowList}).
 *
 * @param location the location
 * @param allowed canonical prefixes from {@link parseAllowList}
 * @param baseDir what relative local paths resolve against (default: the working directory)
 */
export function isAllowed(
  location: string,
  allowed: readonly string[] | undefined,
  baseDir?: string,
): boolean {
  if (allowed === undefined) return true;
  let canonical: string | undefined;
  try {
    canonical = canonicalLocation(location, baseDir);
  } catch {
    return false;
  }
  if (canonical === undefined) return false;
  return allowed.some((prefix) => canonical.startsWith(prefix));
}

/**
 * The path with every symbolic link resolved: `realPath` of its deepest existing ancestor, then
 * the remaining (not yet existing) components.
 */
async function realLocalPath(path: string): Promise<string> {
  const slash = path.endsWith("/") && path !== "/";
  let p = slash ? path.slice(0, -1) : path;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = posix.join(await Deno.realPath(p), ...rest.reverse());
      return slash && real !== "/" ? `${real}/` : real;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) {
        // Too long, a NUL byte, no permission, a symlink loop: nothing that can be checked.
        throw new LocationNotAllowedError(path, `cannot be resolved (${(e as Error).name})`);
      }
      const parent = posix.dirname(p);
      if (parent === p) return path;
      rest.push(posix.basename(p));
      p = parent;
    }
  }
}

/** Options of {@link withAllowList}. */
export interface AllowListOptions {
  /** What relative local paths resolve against (default: the working directory). */
  baseDir?: string;
}

/**
 * Wraps `store` so every location of every call is checked against `allowed` (see module docs).
 *
 * @param store the store to wrap (the base store: files, S3, or both)
 * @param allowed canonical prefixes ({@link parseAllowList}); undefined returns `store` unchanged
 * @param options where relative paths resolve
 * @returns the checked store
 */
export function withAllowList(
  store: Store,
  allowed: readonly string[] | undefined,
  options: AllowListOptions = {},
): Store {
  if (allowed === undefined) return store;
  const describe = `is outside the allowed prefixes (WARM_START_ALLOWED=${
    clip(allowed.join(","))
  })`;
  let realEntries: Promise<string[]> | undefined;
  const localEntries = () =>
    realEntries ??= Promise.all(
      allowed.filter((e) => !e.startsWith("s3://")).map((e) => realLocalPath(e)),
    );

  const check = async (location: string): Promise<void> => {
    if (!isAllowed(location, allowed, options.baseDir)) {
      throw new LocationNotAllowedError(location, describe);
    }
    const parsed = parseLocation(location);
    if (parsed.scheme === "s3") return;
    const real = await realLocalPath(canonicalLocation(location, options.baseDir)!);
    if (!(await localEntries()).some((prefix) => real.startsWith(prefix))) {
      throw new LocationNotAllowedError(
        location,
        "resolves through a symbolic link to a path outside the allowed prefixes",
      );
    }
  };

  return wrapStore(store, {
    async stat(location, o) {
      await check(location);
      return await store.stat(location, o);
    },
    async read(location, o) {
      await check(location);
      return await store.read(location, o);
    },
    async readRange(location, range, o) {
      await check(location);
      return await store.readRange(location, range, o);
    },
    async list(prefix) {
      await check(prefix);
      return (await store.list(prefix)).filter((l) => isAllowed(l, allowed, options.baseDir));
    },
    async put(location, data, o) {
      await check(location);
      return await store.put(location, data, o);
    },
    async delete(location) {
      await check(location);
      await store.delete(location);
    },
    async write(location, pieces, o) {
      await check(location);
      async function* checked(): AsyncIterable<WritePiece> {
        for await (const piece of pieces) {
          if (!(piece instanceof Uint8Array)) await check(piece.copyFrom);
          yield piece;
        }
      }
      return await store.write(location, checked(), o);
    },
    async createUpload(location, o) {
      await check(location);
      return await store.createUpload(location, o);
    },
    async uploadPart(upload, part, o) {
      await check(upload.location);
      if (!(part.body instanceof Uint8Array)) await check(part.body.copyFrom);
      return await store.uploadPart(upload, part, o);
    },
    async completeUpload(upload, parts, o) {
      await check(upload.location);
      return await store.completeUpload(upload, parts, o);
    },
    async abortUpload(upload) {
      await check(upload.location);
      await store.abortUpload(upload);
    },
    async listUploads(prefix) {
      await check(prefix);
      return (await store.listUploads(prefix)).filter((u) =>
        isAllowed(u.location, allowed, options.baseDir)
      );
    },
    async listParts(upload) {
      await check(upload.location);
      return await store.listParts(upload);
    },
    // copiesServerSide(source, target) and uploadRules(location) are questions with no I/O.
  });
}
