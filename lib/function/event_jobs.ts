/**
 * Which job an object event names:
 *
 * - a job file (`warm_start.json` by default) written beside a new checkpoint: the file is the
 *   job spec, its relative locations resolve against the file's own directory;
 * - a checkpoint's `.index`: the job file beside it when that job's `new_checkpoint` is this
 *   checkpoint (so whichever of the two lands last starts the job), else the first watch rule
 *   whose prefix holds it, with that rule's job template.
 *
 * An event whose object has been overwritten since (its ETag differs from the object's) is
 * `superseded`: the newer write sends its own event. A job file whose NEW checkpoint has no
 * `.index` yet is `waiting`: the `.index` event starts it.
 *
 * @module
 */
import {
  basenameLocation,
  dirnameLocation,
  joinLocation,
  ObjectChangedError,
  type Store,
} from "../storage/mod.ts";
import { type JobSpec, parseJobSpec, SettingsError, SpecError } from "../warmstart/mod.ts";
import { checkSpecAllowed, isAllowed } from "./allow_list.ts";
import type { FunctionConfig } from "./config.ts";
import { ForbiddenLocationError } from "./errors.ts";
import { normalizeEtag, type ObjectEvent } from "./s3_events.ts";
import { renderJobTemplate } from "./template.ts";
import type { TriggerInfo } from "./trigger.ts";

/** What an event amounts to. */
export type EventJob =
  | { kind: "job"; spec: JobSpec; trigger: TriggerInfo; via: "job_file" | "watch" }
  | { kind: "ignored" | "superseded" | "waiting"; reason: string };

/** Dependencies of {@link resolveEventJob}. */
export interface EventJobDeps {
  /** Where job files and checkpoints are read. */
  store: Store;
  /** Allow-list, job file name and watch rules. */
  config: Pick<FunctionConfig, "allowed" | "jobFileName" | "watches">;
}

function triggerOf(event: ObjectEvent): TriggerInfo {
  return {
    source: "event",
    key: event.location,
    eventName: event.eventName,
    ...(event.eventTime ? { eventTime: event.eventTime } : {}),
    ...(event.sequencer ? { sequencer: event.sequencer } : {}),
    sequencerStyle: event.sequencerStyle,
    ...(event.etag ? { etag: event.etag } : {}),
  };
}

async function readJobFile(
  store: Store,
  location: string,
  expectedEtag: string | undefined,
): Promise<{ spec: JobSpec } | { kind: "ignored" | "superseded"; reason: string }> {
  const stat = await store.stat(location);
  if (stat === undefined) return { kind: "ignored", reason: `${location} no longer exists` };
  const etag = normalizeEtag(stat.etag);
  if (expectedEtag !== undefined && etag !== undefined && etag !== expectedEtag) {
    return { kind: "superseded", reason: `${location} was overwritten after this event` };
  }
  let bytes: Uint8Array;
  try {
    bytes = await store.read(location, { ifMatch: stat.etag });
  } catch (e) {
    if (e instanceof ObjectChangedError) {
      return { kind: "superseded", reason: `${location} changed while being read` };
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new SpecError(`Invalid job file ${location}: ${(e as Error).message}`, {
      field: "(job file)",
    });
  }
  return { spec: parseJobSpec(json, { baseDir: dirnameLocation(location) }) };
}

/**
 * Resolves one object event to a job.
 *
 * @throws SettingsError for an invalid job file or template, ForbiddenLocationError for a job
 *   naming a location outside the allow-list
 */
export async function resolveEventJob(event: ObjectEvent, deps: EventJobDeps): Promise<EventJob> {
  const { store, config } = deps;
  if (!isAllowed(event.location, config.allowed)) {
    throw new ForbiddenLocationError("event", event.location, "is outside the allowed prefixes");
  }
  const name = basenameLocation(event.location);
  if (name === config.jobFileName) {
    const read = await readJobFile(store, event.location, event.etag);
    if (!("spec" in read)) return read;
    checkSpecAllowed(read.spec, config.allowed);
    if (!await store.stat(`${read.spec.newCheckpoint}.index`)) {
      return {
        kind: "waiting",
        reason: `${read.spec.newCheckpoint}.index does not exist yet; its event will start the job`,
      };
    }
    return { kind: "job", spec: read.spec, trigger: triggerOf(event), via: "job_file" };
  }
  if (!name.endsWith(".index")) {
    return { kind: "ignored", reason: "neither a job file nor a checkpoint .index" };
  }
  const prefix = event.location.slice(0, -".index".length);
  const jobFile = joinLocation(dirnameLocation(event.location), config.jobFileName);
  if (await store.stat(jobFile)) {
    // An invalid job file was already reported by its own event; here it just does not match.
    const read = await readJobFile(store, jobFile, undefined).catch((e) => {
      if (e instanceof SettingsError) return { kind: "ignored" as const, reason: e.message };
      throw e;
    });
    if ("spec" in read && read.spec.newCheckpoint === prefix) {
      checkSpecAllowed(read.spec, config.allowed);
      return { kind: "job", spec: read.spec, trigger: triggerOf(event), via: "job_file" };
    }
  }
  const rule = config.watches.find((w) => event.location.startsWith(w.prefix));
  if (rule === undefined) {
    return { kind: "ignored", reason: "no job file names this checkpoint and no watch matches" };
  }
  const spec = parseJobSpec(renderJobTemplate(rule.job, prefix), {
    baseDir: dirnameLocation(prefix),
  });
  if (spec.output.startsWith(rule.prefix)) {
    return { kind: "ignored", reason: `output ${spec.output} is inside the watched prefix` };
  }
  checkSpecAllowed(spec, config.allowed);
  return { kind: "job", spec, trigger: { ...triggerOf(event), watch: rule.prefix }, via: "watch" };
}
