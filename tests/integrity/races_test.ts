/**
 * Jobs racing on one output, through the real CLI: two different jobs (simultaneous, and
 * staggered with the first killed) and two identical jobs (simultaneous, and staggered with the
 * first killed). Always exactly one result, whole and correct (byte-identical to the job run
 * alone), described by its marker; a loser fails with JobConflictError (409) having published
 * nothing of its own.
 */
import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { verifyTensors } from "../../lib/checkpoint/inspect.ts";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { readMarker } from "../../lib/warmstart/marker.ts";
import { checkpointBytes, lastLog, runCli, spawnCli, syntheticJob, tempFiles } from "./_jobs.ts";

const store = new FileStore();
const SIZE = { vocab: 60_000, dim: 32, dense: 2, denseMiB: 4 };

/** A job dir with spec A (the synthetic job) and spec B (a different job: dense only). */
async function twoJobs(): Promise<{ dir: string; a: string; b: string }> {
  const dir = await Deno.makeTempDir({ prefix: "ws-race-" });
  const a = await syntheticJob(store, dir, SIZE);
  const spec = JSON.parse(await Deno.readTextFile(a));
  const b = posix.join(dir, "spec_b.json");
  await Deno.writeTextFile(
    b,
    JSON.stringify({ ...spec, vars_to_warm_start: "dense.*", var_name_to_vocab_info: {} }),
  );
  return { dir, a, b };
}

/** The output of `spec` run alone, into `ref/<name>/`. */
async function reference(dir: string, spec: string, name: string): Promise<Uint8Array[]> {
  const json = JSON.parse(await Deno.readTextFile(spec));
  const alone = posix.join(dir, `${name}.json`);
  await Deno.writeTextFile(alone, JSON.stringify({ ...json, output: `ref/${name}/model-0` }));
  const r = await runCli(["warm-start", "--spec", alone]);
  assert.equal(r.code, 0, r.stderr);
  return await checkpointBytes(store, posix.join(dir, "ref", name, "model-0"));
}

const OUTPUT = (dir: string) => posix.join(dir, "out", "model-0");

async function assertPublishedAs(dir: string, want: Uint8Array[]): Promise<void> {
  const got = await checkpointBytes(store, OUTPUT(dir));
  assert.equal(got.length, want.length);
  got.forEach((b, i) => assert.deepEqual(b, want[i], `file ${i} of the published output`));
  assert.ok(await verifyTensors(store, await readBundleIndex(store, OUTPUT(dir))) > 0);
}

function jobOf(stderr: string): string {
  return String(lastLog(stderr).job ?? "");
}

Deno.test("races: two different jobs at once -> one wins whole, the other is refused", async () => {
  const { dir, a, b } = await twoJobs();
  try {
    const refs = { [a]: await reference(dir, a, "a"), [b]: await reference(dir, b, "b") };
    for (let trial = 0; trial < 2; trial++) {
      await Deno.remove(posix.join(dir, "out"), { recursive: true }).catch(() => {});
      const [first, second] = trial === 0 ? [a, b] : [b, a];
      const runs = [first, second].map((s) => spawnCli(["warm-start", "--spec", s]));
      const results = await Promise.all(runs.map((r) => r.done));
      const winners = results.filter((r) => r.code === 0);
      const losers = results.filter((r) => r.code !== 0);
      assert.equal(winners.length, 1, results.map((r) => r.stderr).join("\n"));
      assert.equal(losers.length, 1);
      assert.equal((lastLog(losers[0].stderr).error as { type: string }).type, "JobConflictError");
      const winnerSpec = results[0].code === 0 ? first : second;
      await assertPublishedAs(dir, refs[winnerSpec]);
      const marker = await readMarker(store, OUTPUT(dir));
      assert.equal(marker?.jobId, jobOf(winners[0].stderr), "the marker describes the winner");
      assert.deepEqual(tempFiles(dir), []);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("races: two identical jobs at once -> both succeed, one correct output", async () => {
  const { dir, a } = await twoJobs();
  try {
    const ref = await reference(dir, a, "a");
    const results = await Promise.all(
      [0, 1].map(() => spawnCli(["warm-start", "--spec", a]).done),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    await assertPublishedAs(dir, ref);
    assert.deepEqual(tempFiles(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("races: an identical job started while the first is killed mid-run publishes it whole", async () => {
  const { dir, a } = await twoJobs();
  try {
    const ref = await reference(dir, a, "a");
    const first = spawnCli(["warm-start", "--spec", a]);
    await first.waitFor('"phase":"write-data"');
    const second = spawnCli(["warm-start", "--spec", a]);
    await second.waitFor('"phase":"resolve"');
    first.kill();
    await first.done;
    const r = await second.done;
    assert.equal(r.code, 0, r.stderr);
    await assertPublishedAs(dir, ref);
    assert.deepEqual(tempFiles(dir), [], "the survivor cleans what the killed run left");
    const again = await runCli(["warm-start", "--spec", a]);
    assert.equal(again.code, 0);
    assert.equal(lastLog(again.stderr).phase, "already_done");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("races: a different job waits out a killed job's claim, then takes the output over", async () => {
  const { dir, a, b } = await twoJobs();
  try {
    const refB = await reference(dir, b, "b");
    const env = { WARM_START_CLAIM_STALE_MS: "1500" };
    const first = spawnCli(["warm-start", "--spec", a], { env });
    assert.ok(await first.waitFor('"phase":"write-data"'));
    first.kill();
    await first.done;
    const early = await runCli(["warm-start", "--spec", b], { env });
    assert.equal(early.code, 1, "the dead run's claim is still fresh");
    assert.equal((lastLog(early.stderr).error as { type: string }).type, "JobConflictError");
    await new Promise((r) => setTimeout(r, 1600));
    const late = await runCli(["warm-start", "--spec", b], { env });
    assert.equal(late.code, 0, late.stderr);
    await assertPublishedAs(dir, refB);
    assert.deepEqual(tempFiles(dir), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
