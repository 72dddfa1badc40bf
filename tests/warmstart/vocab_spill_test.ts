import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { FileStore } from "../../lib/storage/file_store.ts";
import type { WriteOptions } from "../../lib/storage/mod.ts";
import { jobIdOf } from "../../lib/warmstart/job_id.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { spillArea, tokenSpillArea } from "../../lib/warmstart/spill_area.ts";
import { compareWithExpected, listScenarios, PORTED_ROOT, temporaryFiles } from "./_scenarios.ts";

// A vocabulary join of many partitions (a budget far below the vocabulary) spills its tokens to
// the job's temporary area (token_runs.ts): what a killed run left there is removed by the next
// run once it holds the job — whether that run spills too or its vocabulary fits one table —
// and a dry run writes nothing at all.
const scenario = listScenarios(PORTED_ROOT).find((s) =>
  s.name === "real_embedding_shuffled_grown_vocab"
)!;

/** A file store that notes the objects it is asked to put. */
class PutsSeen extends FileStore {
  readonly puts: string[] = [];
  override put(location: string, data: Uint8Array, options?: WriteOptions) {
    this.puts.push(location);
    return super.put(location, data, options);
  }
}

Deno.test("a killed run's spilled vocabulary tokens are removed by the next run", async () => {
  const root = await Deno.makeTempDir({ prefix: "ws-vocab-spill-" });
  try {
    // 512 bytes: the join's 40 OLD tokens in several partitions; 2048: in one table.
    for (const [memoryBytes, spills] of [[512, true], [2048, false]] as const) {
      const output = posix.join(root, `out-${memoryBytes}`, "model-0");
      const spec = { ...parseJobSpec(scenario.spec, { baseDir: scenario.dir }), output };
      // What a run killed in its join left: runs of another run id, in this job's area.
      const area = tokenSpillArea(spillArea(output, jobIdOf(spec)));
      const leftovers = [
        `${area}killed-run.join-0.old.run-0`,
        `${area}killed-run.join-0.new.run-3`,
      ];
      for (const l of leftovers) {
        await Deno.mkdir(posix.dirname(l), { recursive: true });
        await Deno.writeFile(l, new Uint8Array(100));
      }
      assert.deepEqual(temporaryFiles(output).length, 2);
      const store = new PutsSeen();
      const report = await runWarmStart(spec, { tuning: { memoryBytes }, store });
      assert.equal(report.outcome, "written");
      assert.deepEqual(await compareWithExpected(scenario, output), []);
      const runs = store.puts.filter((l) => l.startsWith(area) && !leftovers.includes(l));
      assert.equal(runs.length > 0, spills, `memory ${memoryBytes}: token runs ${runs}`);
      assert.deepEqual(temporaryFiles(output), [], "leftovers and this run's runs are gone");
    }
    // A dry run of a join that would spill writes nothing, spill included.
    const dry = posix.join(root, "dry", "model-0");
    await runWarmStart({ ...parseJobSpec(scenario.spec, { baseDir: scenario.dir }), output: dry }, {
      tuning: { memoryBytes: 512 },
      store: new FileStore(),
      dryRun: true,
    });
    assert.throws(() => Deno.statSync(posix.join(root, "dry")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
