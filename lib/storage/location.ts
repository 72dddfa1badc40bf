/**
 * Location strings: local paths, `file://` URLs and `s3://bucket/key` URLs. Key arithmetic uses
 * `node:path/posix` (JSR's @std/path is not reachable from our machines); object keys are never
 * normalized beyond what posix join does to relative segments.
 *
 * @module
 */
import * as posix from "node:path/posix";

/** A parsed location. */
export type ParsedLocation =
  | { scheme: "file"; path: string }
  | { scheme: "s3"; bucket: string; key: string };

/** Parses a location; relative local paths are kept relative (resolved by the file store). */
export function parseLocation(location: string): ParsedLocation {
  if (location.startsWith("s3://")) {
    const rest = location.slice("s3://".length);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    const key = slash < 0 ? "" : rest.slice(slash + 1);
    if (bucket === "") throw new TypeError(`Invalid S3 location "${location}": no bucket`);
    return { scheme: "s3", bucket, key };
  }
  if (location.startsWith("file://")) {
    let path: string;
    try {
      path = decodeURIComponent(new URL(location).pathname);
    } catch {
      throw new TypeError(`Invalid file location "${location.slice(0, 200)}"`);
    }
    return { scheme: "file", path };
  }
  return { scheme: "file", path: location };
}

/** Formats an S3 location. */
export function s3Location(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** True for `s3://` locations. */
export function isS3(location: string): boolean {
  return location.startsWith("s3://");
}

/** The directory part of a location (`s3://b/a/c` -> `s3://b/a`, `/x/y` -> `/x`). */
export function dirnameLocation(location: string): string {
  const p = parseLocation(location);
  if (p.scheme === "s3") {
    const dir = posix.dirname(p.key);
    return s3Location(p.bucket, dir === "." ? "" : dir);
  }
  return posix.dirname(p.path);
}

/** The last path segment of a location. */
export function basenameLocation(location: string): string {
  const p = parseLocation(location);
  return posix.basename(p.scheme === "s3" ? p.key : p.path);
}

/**
 * Joins a relative path onto a directory location; an absolute `rel` (or an `s3://` URL) wins,
 * the way TF joins `checkpoint` file entries onto their directory.
 */
export function joinLocation(dir: string, rel: string): string {
  if (isS3(rel) || rel.startsWith("file://")) return rel;
  const p = parseLocation(dir);
  if (p.scheme === "s3") {
    if (rel.startsWith("/")) return s3Location(p.bucket, rel.replace(/^\/+/, ""));
    const key = p.key === "" ? rel : posix.join(p.key, rel);
    return s3Location(p.bucket, key);
  }
  if (posix.isAbsolute(rel)) return rel;
  return posix.join(p.path, rel);
}
