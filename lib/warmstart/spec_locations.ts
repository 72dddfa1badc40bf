/**
 * What a location in a job spec may be: a local path, a `file://` URL or `s3://bucket/key`, with
 * no control characters; the output is a checkpoint PREFIX (it names files `<output>.index`,
 * `<output>.data-…`), so it cannot end in `/`, be `.` or `..`, or (on S3) hold empty or dot
 * key segments that would make its files and bookkeeping objects land somewhere else.
 *
 * @module
 */
import { parseLocation } from "../storage/mod.ts";
import { SpecError } from "./errors.ts";

/**
 * Checks one location of a spec.
 *
 * @param field the spec field
 * @param location its value (before resolving relative paths)
 * @param role `output` for the output prefix
 * @throws SpecError naming the field and the reason
 */
export function checkSpecLocation(field: string, location: string, role: "input" | "output"): void {
  const fail = (why: string): never => {
    const quoted = JSON.stringify(location.length > 200 ? `${location.slice(0, 200)}…` : location);
    throw new SpecError(`Invalid job spec: ${field}: ${quoted} ${why}`, {
      field,
    });
  };
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(location)) fail("contains a control character");
  let parsed;
  try {
    parsed = parseLocation(location);
  } catch (e) {
    fail(`is not a valid location (${(e as Error).message})`);
  }
  // Beyond what file systems and S3 take (PATH_MAX, NAME_MAX, S3's key length): a spec error,
  // not a storage fault.
  const bytes = (t: string) => new TextEncoder().encode(t).length;
  if (parsed!.scheme === "s3" && bytes(parsed!.key) > 1024) {
    fail("has a key longer than 1024 bytes");
  }
  if (parsed!.scheme === "file") {
    if (bytes(parsed!.path) > 4096) fail("is longer than 4096 bytes");
    if (parsed!.path.split("/").some((c) => bytes(c) > 255)) {
      fail("has a path component longer than 255 bytes");
    }
  }
  if (parsed!.scheme === "s3") {
    const { key } = parsed!;
    if (role === "output" || key !== "") {
      if (key === "") fail("names a bucket, not a checkpoint prefix inside it");
      if (key.split("/").some((s, i, all) => s === "" && i < all.length - 1)) {
        fail("has an empty key segment (`//`)");
      }
    }
  }
  if (role === "output") {
    const path = parsed!.scheme === "s3" ? parsed!.key : parsed!.path;
    const name = path.split("/").at(-1) ?? "";
    if (name === "") {
      fail(
        "ends in `/`: the output is a checkpoint prefix such as dir/model.ckpt-1, not a directory",
      );
    }
    if (name === "." || name === "..") {
      fail("is not a checkpoint prefix (its last segment is a dot)");
    }
  }
}
