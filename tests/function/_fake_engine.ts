/**
 * A stand-in for the engine in route tests (the real engine is tested in tests/warmstart and in
 * the end-to-end test): it publishes `<output>.index` create-only through the real Store and
 * then its completion marker, like the engine's last writes, and returns a small Report.
 *
 * @module
 */
import { jobIdOf, writeMarker } from "../../lib/warmstart/mod.ts";
import type { RunOptions } from "../../lib/warmstart/run.ts";
import type { JobSpec, Report } from "../../lib/warmstart/types.ts";

/** A report for `spec`. */
export function reportFor(spec: JobSpec, dryRun: boolean): Report {
  return {
    dryRun,
    ckptToInitializeFrom: spec.ckptToInitializeFrom,
    oldPrefix: spec.ckptToInitializeFrom,
    newPrefix: spec.newCheckpoint,
    output: spec.output,
    variables: [{
      name: "w",
      key: "w",
      dtype: "float32",
      shape: [2],
      action: "copy",
      source: "w",
      bytes: 8,
    }],
    totals: {
      variables: 1,
      warmStarted: 1,
      kept: 0,
      copied: 1,
      remapped: 0,
      bytesWritten: 8,
      bytesFromOld: 8,
      bytesFromNew: 0,
      bytesGenerated: 0,
    },
    durationMs: 1,
  };
}

/** A recording fake engine. */
export interface FakeEngine {
  run(spec: JobSpec, options: RunOptions): Promise<Report>;
  calls: Array<{ spec: JobSpec; dryRun: boolean }>;
}

/**
 * @param behaviour optional override: throw, or delay (ms) before publishing
 */
export function fakeEngine(behaviour: { error?: () => Error; delayMs?: number } = {}): FakeEngine {
  const calls: FakeEngine["calls"] = [];
  return {
    calls,
    async run(spec, options) {
      calls.push({ spec, dryRun: options.dryRun === true });
      options.onProgress?.({ phase: "plan", message: "planned 1 variable" });
      if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs));
      options.signal?.throwIfAborted();
      if (behaviour.error) throw behaviour.error();
      if (!options.dryRun) {
        options.onProgress?.({ phase: "write-data", message: "data", bytesDone: 8, bytesTotal: 8 });
        const index = `${spec.output}.index`;
        const w = await options.store.put(index, new Uint8Array([1, 2, 3]), { ifNoneMatch: true });
        const input = await options.store.stat(`${spec.newCheckpoint}.index`);
        await writeMarker(options.store, {
          jobId: options.job?.id ?? jobIdOf(spec),
          output: spec.output,
          inputs: input ? { [`${spec.newCheckpoint}.index`]: input.etag } : {},
          files: [{ location: index, size: w.size, etag: w.etag }],
          trigger: options.job?.trigger,
          finishedAt: new Date().toISOString(),
          report: reportFor(spec, false),
        });
        options.onProgress?.({ phase: "done", message: "published" });
      }
      return reportFor(spec, options.dryRun === true);
    },
  };
}
