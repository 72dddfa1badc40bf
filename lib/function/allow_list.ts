/**
 * The early allow-list check of a job spec: every location the spec names (checkpoints, output,
 * vocabulary files) must lie under WARM_START_ALLOWED, refused with the spec field that names it
 * (403 with `error.field`). It is a courtesy that fails fast; the guarantee is the allow-list
 * policy of every job's store (storage/allow_list.ts), which checks every location every call
 * touches — resolved state files, data shards, `.meta`, markers — whatever the spec says.
 *
 * @module
 */
import { canonicalLocation, isAllowed } from "../storage/mod.ts";
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
 * Throws ForbiddenLocationError for the first location of `spec` outside the allow-list.
 *
 * @param spec a parsed spec (locations already resolved)
 * @param allowed canonical prefixes, or undefined to allow all
 */
export function checkSpecAllowed(spec: JobSpec, allowed: readonly string[] | undefined): void {
  if (allowed === undefined) return;
  for (const { field, location } of specLocations(spec)) {
    if (canonicalLocation(location) === undefined) {
      throw new ForbiddenLocationError(field, location, "has a '.' or '..' key segment");
    }
    if (!isAllowed(location, allowed)) {
      throw new ForbiddenLocationError(
        field,
        location,
        `is outside the allowed prefixes (WARM_START_ALLOWED=${allowed.join(",")}); an entry ` +
          "names a directory: a location must lie inside it",
      );
    }
  }
}
