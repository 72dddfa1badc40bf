/**
 * The allow-list of location prefixes (WARM_START_ALLOWED): every location a job spec names,
 * vocabulary files included, must start with one of them.
 *
 * Local paths are compared after resolving `.`/`..` (so `/data/../etc` is `/etc`); S3 keys are
 * literal, so a key with a `.` or `..` segment is refused outright rather than guessed at.
 *
 * @module
 */
import * as posix from "node:path/posix";
import { parseLocation } from "../storage/mod.ts";
import type { JobSpec } from "../warmstart/mod.ts";
import { ForbiddenLocationError } from "./errors.ts";

/** Every location a spec names, with the spec field it came from. */
export function specLocations(spec: JobSpec): Array<{ field: string; location: string }> {
  const out = [
    { field: "ckpt_to_initialize_from", location: spec.ckptToInitializeFrom },
    { field: "new_checkpoint", location: spec.newCheckpoint },
    { field: "output", location: spec.output },
  ];
  for (const [name, info] of Object.entries(spec.varNameToVocabInfo)) {
    out.push({ field: `var_name_to_vocab_info.${name}.new_vocab`, location: info.newVocab });
    out.push({ field: `var_name_to_vocab_info.${name}.old_vocab`, location: info.oldVocab });
  }
  return out;
}

/**
 * Canonical form of a location for prefix comparison: `s3://bucket/key` or an absolute posix
 * path. Returns undefined for S3 keys with `.`/`..` segments.
 */
export function canonicalLocation(location: string, baseDir = "/"): string | undefined {
  const parsed = parseLocation(location);
  if (parsed.scheme === "s3") {
    if (parsed.key.split("/").some((s) => s === "." || s === "..")) return undefined;
    return `s3://${parsed.bucket}/${parsed.key}`;
  }
  const resolved = posix.resolve(baseDir, parsed.path);
  return parsed.path.endsWith("/") && resolved !== "/" ? `${resolved}/` : resolved;
}

/** Canonical prefixes from the comma-separated WARM_START_ALLOWED value. */
export function parseAllowList(value: string, baseDir = "/"): string[] {
  return value.split(",").map((s) => s.trim()).filter((s) => s !== "").map((prefix) => {
    const canonical = canonicalLocation(prefix, baseDir);
    if (canonical === undefined) throw new TypeError(`Invalid allow-list prefix "${prefix}"`);
    return canonical;
  });
}

/** True when `location` is under one of `allowed` (undefined = allow everything). */
export function isAllowed(location: string, allowed: string[] | undefined, baseDir = "/"): boolean {
  if (allowed === undefined) return true;
  const canonical = canonicalLocation(location, baseDir);
  if (canonical === undefined) return false;
  return allowed.some((prefix) => canonical.startsWith(prefix) || `${canonical}/` === prefix);
}

/**
 * Throws ForbiddenLocationError for the first location of `spec` outside the allow-list.
 *
 * @param spec a parsed spec (locations already resolved)
 * @param allowed canonical prefixes, or undefined to allow all
 */
export function checkSpecAllowed(spec: JobSpec, allowed: string[] | undefined): void {
  if (allowed === undefined) return;
  for (const { field, location } of specLocations(spec)) {
    if (canonicalLocation(location) === undefined) {
      throw new ForbiddenLocationError(field, location, "has a '.' or '..' key segment");
    }
    if (!isAllowed(location, allowed)) {
      throw new ForbiddenLocationError(
        field,
        location,
        `is outside the allowed prefixes (WARM_START_ALLOWED=${allowed.join(",")})`,
      );
    }
  }
}
