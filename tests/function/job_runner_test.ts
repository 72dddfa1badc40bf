import { deepEqual as assertEquals, rejects as assertRejects } from "node:assert/strict";
import { createJobRunner } from "../../lib/function/job_runner.ts";
import { silentLogger } from "../../lib/function/log.ts";
import { jobIdOf, markerLocation, writeMarker } from "../../lib/warmstart/mod.ts";
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

Deno.test("runJob(): an intact marker answers already_done without running the engine", async () => {
  await withDir(async (dir, store) => {
    const spec = specIn(dir);
    const engine = fakeEngine();
    const runner = createJobRunner({ run: engine.run, store, log: silentLogger });
    assertEquals((await runner.runJob({ spec, trigger: { source: "http" } })).status, "done");
    const again = await runner.runJob({ spec, trigger: { source: "http" } });
    assertEquals(again.status, "already_done");
    assertEquals(again.report?.output, spec.output);
    assertEquals(engine.calls.length, 1);
  });
});

Deno.test("runJob(): a marker whose output was deleted is stale: the job runs again", async () => {
  await withDir(async (dir, store) => {
    const spec = specIn(dir);
    const engine = fakeEngine();
    const runner = createJobRunner({ run: engine.run, store, log: silentLogger });
    await runner.runJob({ spec, trigger: { source: "http" } });
    await store.delete(`${spec.output}.index`);
    // The fake engine writes markers create-only: remove the stale one as the real engine does.
    await store.delete(markerLocation(spec.output));
    const again = await runner.runJob({ spec, trigger: { source: "http" } });
    assertEquals(again.status, "done");
    assertEquals(engine.calls.length, 2);
  });
});

Deno.test("runJob(): a stale marker is not an answer even before the engine removes it", async () => {
  await withDir(async (dir, store) => {
    const spec = specIn(dir);
    await writeMarker(store, {
      jobId: jobIdOf(spec),
      output: spec.output,
      files: [{ location: `${spec.output}.index`, size: 3, etag: "x" }],
      finishedAt: "2026-11-28T00:00:00Z",
      report: { ...reportFor(spec, false), durationMs: 42 },
    });
    const engine = fakeEngine({ error: () => new Error("engine ran") });
    const runner = createJobRunner({ run: engine.run, store, log: silentLogger });
    await assertRejects(runner.runJob({ spec, trigger: { source: "http" } }), /engine ran/);
    assertEquals(engine.calls.length, 1);
  });
});

Deno.test("runJob(): an older event for an output a newer event made is superseded", async () => {
  await withDir(async (dir, store) => {
    const newer = specIn(dir);
    const older = { ...newer, varsToWarmStart: { kind: "regex" as const, pattern: "x" } };
    const engine = fakeEngine();
    const runner = createJobRunner({ run: engine.run, store, log: silentLogger });
    // The event's object: its version now is the newer job's (storage decides, not sequencers).
    const key = `${dir}/run/warm_start.json`;
    await store.put(key, new TextEncoder().encode("v2"));
    const current = (await store.stat(key))!.etag;
    const done = await runner.runJob({
      spec: newer,
      trigger: { source: "event", key, etag: current, sequencer: "01" },
    });
    assertEquals(done.status, "done");
    // A late event for the version before, with a forged maximal sequencer: still older.
    const late = await runner.runJob({
      spec: older,
      trigger: { source: "event", key, etag: "v1-etag", sequencer: "FFFFFFFFFFFFFFFFFF" },
    });
    assertEquals(late.status, "superseded");
    assertEquals(engine.calls.length, 1);
    const marker = JSON.parse(await Deno.readTextFile(markerLocation(newer.output)));
    assertEquals(marker.trigger.etag, current);
  });
});

Deno.test("runJob(): a forged sequencer in a marker does not supersede the current version", async () => {
  await withDir(async (dir, store) => {
    const first = specIn(dir);
    const second = { ...first, varsToWarmStart: { kind: "regex" as const, pattern: "x" } };
    const engine = fakeEngine();
    const runner = createJobRunner({ run: engine.run, store, log: silentLogger });
    const key = `${dir}/run/warm_start.json`;
    await store.put(key, new TextEncoder().encode("v1"));
    const v1 = (await store.stat(key))!.etag;
    await runner.runJob({
      spec: first,
      trigger: { source: "event", key, etag: v1, sequencer: "FFFFFFFFFFFFFFFFFF" },
    });
    await store.put(key, new TextEncoder().encode("v2 is longer"));
    const v2 = (await store.stat(key))!.etag;
    // The genuine newer event (small sequencer) is not "superseded": its output is taken.
    await assertRejects(
      runner.runJob({ spec: second, trigger: { source: "event", key, etag: v2, sequencer: "02" } }),
      (e: unknown) => (e as Error).name === "JobConflictError",
    );
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
      /earlier version of its inputs/,
    );
  });
});
