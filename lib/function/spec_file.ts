/**
 * Loads a job spec file for the CLI: relative locations in it resolve against the file's own
 * directory. The file may be a local path or an `s3://` location.
 *
 * @module
 */
import * as posix from "node:path/posix";
import { NotFoundError, SettingsError } from "../errors.ts";
import { dirnameLocation, isS3 } from "../storage/location.ts";
import type { Store } from "../storage/store.ts";
import { parseJobSpec } from "../warmstart/job_spec.ts";
import type { JobSpec } from "../warmstart/types.ts";

/**
 * Reads and parses the spec at `file` (relative paths against `cwd`).
 *
 * @throws SettingsError (kind "spec") when the file is missing, not JSON or not a valid spec
 */
export async function loadSpecFile(file: string, store: Store, cwd: string): Promise<JobSpec> {
  const location = isS3(file) ? file : posix.resolve(cwd, file);
  let bytes: Uint8Array;
  try {
    bytes = await store.read(location);
  } catch (e) {
    if (e instanceof NotFoundError) {
      throw new SettingsError(`Spec file not found: ${location}`, {
        field: "--spec",
        kind: "spec",
      });
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new SettingsError(`Invalid JSON in ${location}: ${(e as Error).message}`, {
      field: "--spec",
      kind: "spec",
    });
  }
  return parseJobSpec(json, { baseDir: dirnameLocation(location) });
}
