/**
 * Turns a request's JSON body into a job spec: parse (relative local locations resolve against
 * WARM_START_BASE_DIR), then the allow-list.
 *
 * @module
 */
import { type JobSpec, parseJobSpec } from "../warmstart/mod.ts";
import { checkSpecAllowed } from "./allow_list.ts";
import type { FunctionConfig } from "./config.ts";

/**
 * The validated spec of a request body.
 *
 * @throws SettingsError (kind "spec") naming the field; ForbiddenLocationError
 */
export function specFromBody(
  json: unknown,
  config: Pick<FunctionConfig, "allowed" | "baseDir">,
): JobSpec {
  const spec = parseJobSpec(json, { baseDir: config.baseDir });
  checkSpecAllowed(spec, config.allowed);
  return spec;
}
