/**
 * Which job an object event names:
 *
 * - a job file (`warm_start.json` by default) written beside a new checkpoint: the file is the
 *   job spec, its relative locations resolve against the file's own directory;
 * - a checkpoint's `.index`: the job file beside it when that job's `new_checkpoint` is this
 *   checkpoint (so whichever of the two lands last starts the job), else the first watch rule
 *   whose prefix holds it, with that rule's job template.
 *
 * The event's object is read back from storage first: gone is `ignored`; an ETag that differs
 * from the event's (overwritten since) is `superseded` — the newer write sends its own event.
 * The ETag read back, not anything the event claims, identifies the version the job is made
 * from (trigger.ts). A job file is read with its size capped (WARM_START_MAX_BODY_BYTES) and
 * pinned to that ETag. A job file whose NEW checkpoint has no `.index` yet is `waiting`: the
 * `.index` event starts it.
 *
 * @module
 */
import {
  basenameLocation,
  dirnameLocation,
  isAllowed,
  joinLocation,
  ObjectChangedError,
  ObjectNotFoundError,
  readCapped,
  type Store,
} from "../storage/mod.ts";
import { type JobSpec, parseJobSpec, SettingsError, SpecError } from "../warmstart/mod.ts";
import { checkSpecAllowed } from "./allow_list.ts";
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
  /** Allow-list, job file name and watch rules; the job file cap. */
  config: Pick<FunctionConfig, "allowed" | "jobFileName" | "watches" | "maxBodyBytes">;
}

function triggerOf(event: ObjectEvent, etag: string | undefined): TriggerInfo {
  return {
    source: "event",
    key: event.location,
    eventName: event.eventName,
    ...(event.eventTime ? { eventTime: event.eventTime } : {}),
    ...(event.sequencer ? { sequencer: event.sequencer } : {}),
    sequencerStyle: event.sequencerStyle,
    ...(etag ? { etag } : {}),
  };
}

type Skip = { kind: "ignored" | "superseded"; reason: string };

/** The object's version now: its ETag, or why the event is skipped. */
async function versionOf(
  store: Store,
  location: string,
  claimed: string | undefined,
): Promise<{ etag: string } | Skip> {
  const stat = await store.stat(location);
  if (stat === undefined) return { kind: "ignored", reason: `${location} no longer exists` };
  const etag = normalizeEtag(stat.etag) ?? stat.etag;
  if (claimed !== undefined && etag !== claimed) {
    return { kind: "superseded", reason: `${location} was overwritten after this event` };
  }
  return { etag: stat.etag };
}

async function readJobFile(
  store: Store,
  location: string,
  expectedEtag: string | undefined,
  maxBytes: number,
): Promise<{ spec: JobSpec; etag: string } | Skip> {
  const version = await versionOf(store, location, expectedEtag);
  if (!("etag" in version)) return version;
  let bytes: Uint8Array;
  try {
    bytes = await readCapped(store, location, maxBytes, "Job file (WARM_START_MAX_BODY_BYTES)", {
      ifMatch: version.etag,
    });
  } catch (e) {
    if (e instanceof ObjectChangedError || e instanceof ObjectNotFoundError) {
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
  const spec = parseJobSpec(json, { baseDir: dirnameLocation(location) });
  return { spec, etag: normalizeEtag(version.etag) ?? version.etag };
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
    const read = await readJobFile(store, event.location, event.etag, config.maxBodyBytes);
    if (!("spec" in read)) return read;
    checkSpecAllowed(read.spec, config.allowed);
    if (!await store.stat(`${read.spec.newCheckpoint}.index`)) {
      return {
        kind: "waiting",
        reason: `${read.spec.newCheckpoint}.index does not exist yet; its event will start the job`,
      };
    }
    const trigger = triggerOf(event, read.etag);
    return { kind: "job", spec: read.spec, trigger, via: "job_file" };
  }
  if (!name.endsWith(".index")) {
    return { kind: "ignored", reason: "neither a job file nor a checkpoint .index" };
  }
  const version = await versionOf(store, event.location, event.etag);
  if (!("etag" in version)) return version;
  const trigger = triggerOf(event, normalizeEtag(version.etag) ?? version.etag);
  const prefix = event.location.slice(0, -".index".length);
  const jobFile = joinLocation(dirnameLocation(event.location), config.jobFileName);
  if (await store.stat(jobFile)) {
    // An invalid job file was already reported by its own event; here it just does not match.
    const read = await readJobFile(store, jobFile, undefined, config.maxBodyBytes).catch((e) => {
      if (e instanceof SettingsError) return { kind: "ignored" as const, reason: e.message };
      throw e;
    });
    if ("spec" in read && read.spec.newCheckpoint === prefix) {
      checkSpecAllowed(read.spec, config.allowed);
      return { kind: "job", spec: read.spec, trigger, via: "job_file" };
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
  return { kind: "job", spec, trigger: { ...trigger, watch: rule.prefix }, via: "watch" };
}
