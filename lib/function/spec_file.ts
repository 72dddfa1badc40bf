/**
 * Loads a job spec file for the CLI: relative locations in it resolve against the file's own
 * directory. The file may be a local path or an `s3://` location.
 *
 * @module
 */
import * as posix from "node:path/posix";
import {
  dirnameLocation,
  isS3,
  ObjectNotFoundError,
  readCapped,
  type Store,
} from "../storage/mod.ts";
import { type JobSpec, parseJobSpec, SpecError } from "../warmstart/mod.ts";

/**
 * Reads and parses the spec at `file` (relative paths against `cwd`).
 *
 * @throws SettingsError (kind "spec") when the file is missing, not JSON or not a valid spec;
 *   ObjectTooLargeError above `maxBytes` (checked before reading)
 */
export async function loadSpecFile(
  file: string,
  store: Store,
  cwd: string,
  options: { maxBytes?: number } = {},
): Promise<JobSpec> {
  const location = isS3(file) ? file : posix.resolve(cwd, file);
  let bytes: Uint8Array;
  try {
    bytes = await readCapped(store, location, options.maxBytes ?? 1024 * 1024, "Spec file");
  } catch (e) {
    if (e instanceof ObjectNotFoundError) {
      throw new SpecError(`Spec file not found: ${location}`, {
        field: "--spec",
      });
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new SpecError(`Invalid JSON in ${location}: ${(e as Error).message}`, {
      field: "--spec",
    });
  }
  return parseJobSpec(json, { baseDir: dirnameLocation(location) });
}
