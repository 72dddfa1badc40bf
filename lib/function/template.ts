/**
 * Job templates for watches and schedules: a job spec JSON object whose string values may use
 * `{new_checkpoint}` (the NEW checkpoint prefix), `{new_dir}` (its directory), `{new_name}`
 * (its last segment, e.g. `model.ckpt-1000`) and `{step}` (the trailing number of the name, or
 * empty). Only these placeholders are replaced, so regexes such as `.{2}` pass through.
 *
 * @module
 */
import { basenameLocation, dirnameLocation } from "../storage/mod.ts";

const PLACEHOLDER = /\{(new_checkpoint|new_dir|new_name|step)\}/g;

/** The values of the placeholders for a NEW checkpoint prefix. */
export function templateValues(newCheckpoint: string): Record<string, string> {
  const name = basenameLocation(newCheckpoint);
  return {
    new_checkpoint: newCheckpoint,
    new_dir: dirnameLocation(newCheckpoint),
    new_name: name,
    step: /-(\d+)$/.exec(name)?.[1] ?? "",
  };
}

function substitute(value: unknown, values: Record<string, string>): unknown {
  if (typeof value === "string") return value.replace(PLACEHOLDER, (_, k: string) => values[k]);
  if (Array.isArray(value)) return value.map((v) => substitute(v, values));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, substitute(v, values)]),
    );
  }
  return value;
}

/**
 * The job spec JSON for `newCheckpoint` from `template` (`new_checkpoint` defaults to
 * `{new_checkpoint}`). Object keys (variable names) are never substituted.
 */
export function renderJobTemplate(
  template: Record<string, unknown>,
  newCheckpoint: string,
): Record<string, unknown> {
  const withDefault = { new_checkpoint: "{new_checkpoint}", ...template };
  return substitute(withDefault, templateValues(newCheckpoint)) as Record<string, unknown>;
}
