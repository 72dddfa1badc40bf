/**
 * A job killed (SIGKILL) at spread-out moments of every phase — resolving, planning, writing
 * data, publishing (completing shards, index, .meta, state file, marker) — then run again, on
 * local files and on S3 (versitygw): nothing partial is ever visible (an index, when there is
 * one, verifies), every rerun succeeds with the bytes of an uninterrupted run, and no temp file
 * or open multipart upload is left. More moments: WARM_START_KILLS=N deno task test:kills.
 */
import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { verifyTensors } from "../../lib/checkpoint/inspect.ts";
import { indexLocation } from "../../lib/checkpoint/naming.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { S3Store } from "../../lib/storage/s3_store.ts";
import type { Store } from "../../lib/storage/store.ts";
import { readMarker } from "../../lib/warmstart/marker.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { checkpointBytes, lastLog, runCli, spawnCli, syntheticJob, tempFiles } from "./_jobs.ts";

const SIZE = { vocab: 60_000, dim: 32, dense: 2, denseMiB: 6 };
const PHASES = [
  '"phase":"resolve"',
  '"phase":"plan"',
  '"phase":"write-data"',
  '"phase":"write-index"',
];

/** `n` kill moments: each phase's start, and delays after it. */
function moments(n: number): Array<{ phase: string; delayMs: number }> {
  const delays = [0, 15, 40, 90, 200];
  const out: Array<{ phase: string; delayMs: number }> = [];
  for (let i = 0; out.length < n; i++) {
    out.push({
      phase: PHASES[i % PHASES.length],
      delayMs: delays[Math.floor(i / PHASES.length) % delays.length],
    });
  }
  return out;
}

const KILLS = Number(Deno.env.get("WARM_START_KILLS") ?? 12);

async function killAndRerun(
  label: string,
  store: Store,
  spec: string,
  output: string,
  env: Record<string, string>,
  n: number,
  leftovers: () => Promise<string[]>,
  clean: () => Promise<void>,
) {
  const ref = await checkpointBytes(store, output);
  const refMarker = await readMarker(store, output);
  let killedBeforeEnd = 0;
  for (const m of moments(n)) {
    await clean();
    const run = spawnCli(["warm-start", "--spec", spec], { env });
    if (await run.waitFor(m.phase)) {
      await new Promise((r) => setTimeout(r, m.delayMs));
      run.kill();
    }
    const killed = await run.done;
    if (killed.signal === "SIGKILL") killedBeforeEnd++;
    const where = `${label}: killed at ${m.phase} + ${m.delayMs} ms`;
    // Nothing partial is ever visible: an index that exists belongs to a whole checkpoint.
    if (await store.stat(indexLocation(output))) {
      assert.ok(await verifyTensors(store, await readBundleIndex(store, output)) > 0, where);
    }
    const rerun = await runCli(["warm-start", "--spec", spec], { env });
    assert.equal(rerun.code, 0, `${where}: rerun failed\n${rerun.stderr}`);
    assert.ok(
      ["done", "already_done", "converged"].includes(String(lastLog(rerun.stderr).phase)) ||
        lastLog(rerun.stderr).msg === "job finished",
      where,
    );
    const got = await checkpointBytes(store, output);
    got.forEach((b, i) => assert.deepEqual(b, ref[i], `${where}: file ${i} differs`));
    const marker = await readMarker(store, output);
    assert.equal(marker?.jobId, refMarker?.jobId, where);
    assert.deepEqual(await leftovers(), [], `${where}: leftovers`);
  }
  assert.ok(
    killedBeforeEnd >= n / 2,
    `${label}: only ${killedBeforeEnd} of ${n} runs were killed in time`,
  );
}

Deno.test("kills: local files, SIGKILL at every phase, then rerun -> identical bytes, no leftovers", async () => {
  const store = new FileStore();
  const dir = await Deno.makeTempDir({ prefix: "ws-kill-" });
  try {
    const spec = await syntheticJob(store, dir, SIZE);
    const first = await runCli(["warm-start", "--spec", spec]);
    assert.equal(first.code, 0, first.stderr);
    const output = posix.join(dir, "out", "model-0");
    await killAndRerun(
      "local",
      store,
      spec,
      output,
      {},
      KILLS,
      () => Promise.resolve(tempFiles(dir)),
      async () => {
        await Deno.remove(posix.join(dir, "out"), { recursive: true }).catch(() => {});
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "kills: S3 (versitygw), SIGKILL at every phase, then rerun -> identical bytes, no open uploads",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startVersitygw({ buckets: ["kills"] });
  const s3 = new S3Store({ env: server.env });
  try {
    const dir = "s3://kills/job";
    const spec = await syntheticJob(s3, dir, SIZE);
    const first = await runCli(["warm-start", "--spec", spec], { env: server.env });
    assert.equal(first.code, 0, first.stderr);
    const output = `${dir}/out/model-0`;
    await killAndRerun(
      "s3",
      s3,
      spec,
      output,
      server.env,
      Math.max(10, KILLS - 2),
      async () => (await s3.listUploads(`${dir}/`)).map((u) => u.location),
      async () => {
        for (const l of await s3.list(`${dir}/out/`)) await s3.delete(l);
      },
    );
  } finally {
    s3.client.destroy();
    await server.stop();
  }
});

Deno.test("kills: a run killed after publishing, before its temp files went -> the rerun answers already published and removes them", async () => {
  const store = new FileStore();
  const dir = await Deno.makeTempDir({ prefix: "ws-kill-late-" });
  try {
    const spec = await syntheticJob(store, dir, { vocab: 200, dim: 4, dense: 1, denseMiB: 1 });
    const first = await runCli(["warm-start", "--spec", spec]);
    assert.equal(first.code, 0, first.stderr);
    const output = posix.join(dir, "out", "model-0");
    const ref = await checkpointBytes(store, output);
    // What a SIGKILL between a create-only link and the unlink of its temp file leaves: the temp
    // twins of the marker and of the index, beside the published files.
    const bookkeeping = posix.join(dir, "out", ".warm_start");
    const strays = [
      posix.join(bookkeeping, `.model-0.done.json.tmp-wsf-${crypto.randomUUID()}`),
      posix.join(dir, "out", `.model-0.index.tmp-wsf-${crypto.randomUUID()}`),
    ];
    for (const s of strays) await Deno.writeTextFile(s, "partial");
    assert.equal(tempFiles(dir).length, 2);
    const rerun = await runCli(["warm-start", "--spec", spec]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.match(rerun.stderr, /"phase":"already_done"/);
    assert.deepEqual(tempFiles(dir), []);
    (await checkpointBytes(store, output)).forEach((b, i) => assert.deepEqual(b, ref[i]));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
