/**
 * The completion marker: a small JSON object written create-only as the last step of publishing,
 * at `<output dir>/.warm_start/<output name>.done.json`. It describes exactly the bytes published
 * (every file with its size and ETag), the inputs they were made from (every input object with
 * its ETag), the job and what started it, and the report — so a repeated trigger is a cheap
 * no-op (one GET and a few HEADs), and a marker whose output has since been deleted or replaced
 * is recognised as stale instead of answering "already done".
 *
 * @module
 */
import {
  basenameLocation,
  dirnameLocation,
  joinLocation,
  ObjectNotFoundError,
  PreconditionFailedError,
  readCapped,
  type Store,
} from "../storage/mod.ts";
import type { Report } from "./types.ts";

/** One published file. */
export interface PublishedFile {
  /** Its location. */
  location: string;
  /** Its size in bytes. */
  size: number;
  /** Its ETag right after it was written. */
  etag: string;
}

/** Contents of a completion marker. */
export interface CompletionMarker {
  /** Hash of the canonical spec. */
  jobId: string;
  /** The output prefix. */
  output: string;
  /** ETag of the NEW checkpoint's `.index` when the job ran. */
  newIndexEtag?: string;
  /** ETag of every input object the job read (indexes, data shards, `.meta`, vocabularies). */
  inputs?: Record<string, string>;
  /** The files published: data shards and the index (and `.meta`). */
  files?: PublishedFile[];
  /** What started the job (event key + sequencer/time, schedule name, HTTP, CLI). */
  trigger?: unknown;
  /** ISO time the marker was written. */
  finishedAt: string;
  /** The job's report, answered to repeated triggers. */
  report: Report;
}

/** The directory of a job's bookkeeping objects beside its output. */
export function bookkeepingDir(output: string): string {
  return joinLocation(dirnameLocation(output), ".warm_start");
}

/** Where the marker for `output` lives. */
export function markerLocation(output: string): string {
  return joinLocation(bookkeepingDir(output), `${basenameLocation(output)}.done.json`);
}

/**
 * The marker for `output`, or undefined when there is none (or it is unreadable).
 *
 * @param store where to read
 * @param output the output prefix
 * @returns the marker
 */
/** Largest marker read (it holds the report: about 200 bytes per variable). */
const MAX_MARKER_BYTES = 64 * 1024 * 1024;

export async function readMarker(
  store: Store,
  output: string,
): Promise<CompletionMarker | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await readCapped(store, markerLocation(output), MAX_MARKER_BYTES, "Completion marker", {
      fresh: true,
    });
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
 * Writes the marker create-only. Returns false when another run wrote it first.
 *
 * @param store where to write
 * @param marker the marker
 * @returns whether this call wrote it
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

/**
 * Whether the files a marker describes are still exactly there (same sizes, and the index with
 * its ETag). A marker from before this check existed (no `files`) is trusted if its index exists.
 *
 * @param store where to look
 * @param marker the marker
 * @returns true when the published output is intact
 */
export async function isPublished(store: Store, marker: CompletionMarker): Promise<boolean> {
  const files = marker.files ?? [{ location: `${marker.output}.index`, size: -1, etag: "" }];
  const stats = await Promise.all(files.map((f) => store.stat(f.location, { fresh: true })));
  return stats.every((st, i) =>
    st !== undefined && (files[i].size < 0 || st.size === files[i].size) &&
    (!files[i].location.endsWith(".index") || files[i].etag === "" || st.etag === files[i].etag)
  );
}

/**
 * The inputs a marker names whose ETag is no longer what the job read.
 *
 * @param store where to look
 * @param marker the marker
 * @returns the locations that changed (or vanished)
 */
export async function changedInputs(store: Store, marker: CompletionMarker): Promise<string[]> {
  const inputs = Object.entries(marker.inputs ?? {});
  const stats = await Promise.all(inputs.map(([l]) => store.stat(l, { fresh: true })));
  return inputs.filter(([, etag], i) => stats[i]?.etag !== etag).map(([l]) => l);
}
