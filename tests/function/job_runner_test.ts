import { deepEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { PreconditionFailedError } from "../../lib/storage/errors.ts";
import { jobIdOf } from "../../lib/function/job_id.ts";
import { createJobRunner } from "../../lib/function/job_runner.ts";
import { silentLogger } from "../../lib/function/log.ts";
import { markerLocation, writeMarker } from "../../lib/function/marker.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import type { JobSpec } from "../../lib/warmstart/types.ts";
import { fakeEngine, reportFor } from "./_fake_engine.ts";

async function withDir(fn: (dir: string, store: FileStore) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "wsf-runner-" });
  try {
    await fn(dir, new FileStore());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function specIn(dir: string, output = "out/model.ckpt-1"): JobSpec {
  return parseJobSpec({ ckpt_to_initialize_from: "old", new_checkpoint: "new/m", output }, {
    baseDir: dir,
  });
}

Deno.test("runJob(): the loser of a publish race answers the winner's report", async () => {
  await withDir(async (dir, store) => {
    const spec = specIn(dir);
    // Another instance publishes and marks the same job while this one runs.
    const run = async () => {
      await store.put(`${spec.output}.index`, new Uint8Array([1]), { ifNoneMatch: true });
      await writeMarker(store, {
        jobId: jobIdOf(spec),
        output: spec.output,
        finishedAt: "2026-11-28T00:00:00Z",
        report: { ...reportFor(spec, false), durationMs: 42 },
      });
      throw new PreconditionFailedError("exists", {
        location: `${spec.output}.index`,
        status: 412,
      });
    };
    const runner = createJobRunner({ run, store, log: silentLogger });
    const outcome = await runner.runJob({ spec, trigger: { source: "http" } });
    assertEquals(outcome.status, "already_done");
    assertEquals(outcome.report?.durationMs, 42);
  });
});

Deno.test("runJob(): without the winner's marker the loser answers the plan as converged", async () => {
  await withDir(async (dir, store) => {
    const spec = specIn(dir);
    const engine = fakeEngine();
    let first = true;
    const run: typeof engine.run = (s, o) => {
      if (first && !o.dryRun) {
        first = false;
        return Promise.reject(new PreconditionFailedError("exists", { status: 412 }));
      }
      return engine.run(s, o);
    };
    const runner = createJobRunner({ run, store, log: silentLogger, markerWaitMs: 50 });
    const outcome = await runner.runJob({ spec, trigger: { source: "http" } });
    assertEquals(outcome.status, "converged");
    assertEquals(outcome.report?.dryRun, true);
  });
});

Deno.test("runJob(): a published output without a marker is a conflict, not overwritten", async () => {
  await withDir(async (dir, store) => {
    const spec = specIn(dir);
    await store.put(`${spec.output}.index`, new Uint8Array([1]));
    const engine = fakeEngine();
    const runner = createJobRunner({ run: engine.run, store, log: silentLogger, markerWaitMs: 50 });
    await assertRejects(
      runner.runJob({ spec, trigger: { source: "http" } }),
      /without a completion marker/,
    );
    assertEquals(engine.calls.length, 0);
  });
});

Deno.test("runJob(): an older event for an output a newer event made is superseded", async () => {
  await withDir(async (dir, store) => {
    const newer = specIn(dir);
    const older = { ...newer, varsToWarmStart: { kind: "regex" as const, pattern: "x" } };
    const engine = fakeEngine();
    const runner = createJobRunner({ run: engine.run, store, log: silentLogger });
    const key = "s3://m/run/warm_start.json";
    const done = await runner.runJob({
      spec: newer,
      trigger: { source: "event", key, sequencer: "0B", sequencerStyle: "aws" },
    });
    assertEquals(done.status, "done");
    const late = await runner.runJob({
      spec: older,
      trigger: { source: "event", key, sequencer: "0A", sequencerStyle: "aws" },
    });
    assertEquals(late.status, "superseded");
    assertEquals(engine.calls.length, 1);
    const marker = JSON.parse(await Deno.readTextFile(markerLocation(newer.output)));
    assertEquals(marker.trigger.sequencer, "0B");
  });
});

Deno.test("runJob(): the same job with a replaced NEW checkpoint is a conflict", async () => {
  await withDir(async (dir, store) => {
    const spec = specIn(dir);
    await store.put(`${spec.newCheckpoint}.index`, new Uint8Array([1]));
    const runner = createJobRunner({ run: fakeEngine().run, store, log: silentLogger });
    assertEquals((await runner.runJob({ spec, trigger: { source: "http" } })).status, "done");
    await store.put(`${spec.newCheckpoint}.index`, new Uint8Array([1, 2]));
    await assertRejects(
      runner.runJob({ spec, trigger: { source: "http" } }),
      /earlier version of the NEW checkpoint/,
    );
  });
});
