/**
 * The completion marker: a small JSON object written create-only after a job has published its
 * output, at `<output dir>/.warm_start/<output name>.done.json`. It makes a repeated event a
 * cheap no-op (one GET) and records which trigger and inputs produced the output.
 *
 * @module
 */
import {
  basenameLocation,
  dirnameLocation,
  joinLocation,
  ObjectNotFoundError,
  PreconditionFailedError,
  type Store,
} from "../storage/mod.ts";
import type { Report } from "../warmstart/mod.ts";
import type { TriggerInfo } from "./trigger.ts";

/** Contents of a completion marker. */
export interface CompletionMarker {
  /** Hash of the canonical spec. */
  jobId: string;
  /** The output prefix. */
  output: string;
  /** ETag of the NEW checkpoint's `.index` when the job ran. */
  newIndexEtag?: string;
  /** What started the job (event key + sequencer/time, schedule name, or HTTP). */
  trigger?: TriggerInfo;
  /** ISO time the marker was written. */
  finishedAt: string;
  /** The job's report, answered to repeated triggers. */
  report: Report;
}

/** Where the marker for `output` lives. */
export function markerLocation(output: string): string {
  return joinLocation(dirnameLocation(output), `.warm_start/${basenameLocation(output)}.done.json`);
}

/** The marker for `output`, or undefined when there is none (or it is unreadable). */
export async function readMarker(
  store: Store,
  output: string,
): Promise<CompletionMarker | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await store.read(markerLocation(output));
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return undefined;
    throw e;
  }
  try {
    const marker = JSON.parse(new TextDecoder().decode(bytes));
    return typeof marker?.jobId === "string" ? marker as CompletionMarker : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the marker create-only. Returns false when another run wrote it first (that run
 * published the same output: the two runs converged).
 */
export async function writeMarker(store: Store, marker: CompletionMarker): Promise<boolean> {
  const data = new TextEncoder().encode(JSON.stringify(marker, null, 2) + "\n");
  try {
    await store.put(markerLocation(marker.output), data, {
      ifNoneMatch: true,
      contentType: "application/json",
    });
    return true;
  } catch (e) {
    if (e instanceof PreconditionFailedError) return false;
    throw e;
  }
}
