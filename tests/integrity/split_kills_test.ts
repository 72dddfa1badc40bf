/**
 * A split job (`--workers 2 --task-bytes`) killed with SIGKILL at spread-out moments of its
 * tasks, then run again: every rerun succeeds with the bytes of an uninterrupted run, reuses
 * the tasks that had finished (`totals.tasksReused`), and leaves no temp file, open upload or
 * job file behind. More moments: WARM_START_SPLIT_KILLS=N.
 */
import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { verifyTensors } from "../../lib/checkpoint/inspect.ts";
import { indexLocation } from "../../lib/checkpoint/naming.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { jobFilesLeft } from "../warmstart/_scenarios.ts";
import { checkpointBytes, runCli, spawnCli, syntheticJob, tempFiles } from "./_jobs.ts";

const KILLS = Number(Deno.env.get("WARM_START_SPLIT_KILLS") ?? 20);
const SPLIT = ["--workers", "2", "--task-bytes", String(1 << 20)];

Deno.test("split kills: --workers 2, SIGKILL mid-job at 20 moments, rerun -> identical bytes, finished tasks reused, nothing left", async () => {
  const store = new FileStore();
  const dir = await Deno.makeTempDir({ prefix: "ws-split-kill-" });
  try {
    const spec = await syntheticJob(store, dir, { vocab: 60_000, dim: 32, dense: 2, denseMiB: 6 });
    const output = posix.join(dir, "out", "model-0");
    // The reference: one process, one pass.
    const one = await runCli(["warm-start", "--spec", spec]);
    assert.equal(one.code, 0, one.stderr);
    const ref = await checkpointBytes(store, output);
    await Deno.remove(posix.join(dir, "out"), { recursive: true });
    const whole = await runCli(["warm-start", "--spec", spec, ...SPLIT]);
    assert.equal(whole.code, 0, whole.stderr);
    const tasks = JSON.parse(whole.stdout).totals.tasks;
    assert.ok(tasks >= 10, `only ${tasks} tasks`);
    (await checkpointBytes(store, output)).forEach((b, i) => assert.deepEqual(b, ref[i]));
    let killed = 0;
    let reused = 0;
    for (let k = 0; k < KILLS; k++) {
      await Deno.remove(posix.join(dir, "out"), { recursive: true }).catch(() => {});
      const run = spawnCli(["warm-start", "--spec", spec, ...SPLIT]);
      if (await run.waitFor('"phase":"write-data"')) {
        await new Promise((r) => setTimeout(r, (k * 97) % 1200));
        run.kill();
      }
      if ((await run.done).signal === "SIGKILL") killed++;
      const where = `kill ${k} (+${(k * 97) % 1200} ms)`;
      if (await store.stat(indexLocation(output))) {
        assert.ok(await verifyTensors(store, await readBundleIndex(store, output)) > 0, where);
      }
      const rerun = await runCli(["warm-start", "--spec", spec, ...SPLIT]);
      assert.equal(rerun.code, 0, `${where}: rerun failed\n${rerun.stderr}`);
      const report = JSON.parse(rerun.stdout);
      if (report.outcome === "written") {
        assert.equal(report.totals.tasks, tasks, where);
        reused += report.totals.tasksReused;
      }
      (await checkpointBytes(store, output)).forEach((b, i) =>
        assert.deepEqual(b, ref[i], `${where}: file ${i} differs`)
      );
      // The killed run's workers notice their parent is gone and stop within a moment; what
      // they were writing then must not outlive that (bounded wait, then the check).
      const left = () => [
        ...tempFiles(dir).filter((f) => f.startsWith("out/")),
        ...jobFilesLeft(output),
      ];
      for (let i = 0; i < 30 && left().length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(left(), [], `${where}: temp or job files left`);
    }
    assert.ok(killed >= KILLS / 2, `only ${killed} of ${KILLS} runs were killed in time`);
    assert.ok(reused > 0, "no rerun reused a finished task");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
