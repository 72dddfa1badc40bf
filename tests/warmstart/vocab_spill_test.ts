import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { FileStore } from "../../lib/storage/file_store.ts";
import { jobIdOf } from "../../lib/warmstart/job_id.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { spillArea, tokenSpillArea } from "../../lib/warmstart/spill_area.ts";
import {
  compareWithExpected,
  FORCED_STRATEGIES,
  listScenarios,
  PORTED_ROOT,
  temporaryFiles,
} from "./_scenarios.ts";

// A vocabulary join of many partitions (a budget far below the vocabulary) spills its tokens to
// the job's temporary area (token_runs.ts): what a killed run left there is removed by the next
// run once it holds the job, and a dry run writes nothing at all.
const scenario = listScenarios(PORTED_ROOT).find((s) =>
  s.name === "real_embedding_shuffled_grown_vocab"
)!;

Deno.test("a killed run's spilled vocabulary tokens are removed by the next run", async () => {
  const root = await Deno.makeTempDir({ prefix: "ws-vocab-spill-" });
  try {
    const output = posix.join(root, "out", "model-0");
    const spec = { ...parseJobSpec(scenario.spec, { baseDir: scenario.dir }), output };
    // What a run killed in its join left: runs of another run id, in this job's area.
    const area = tokenSpillArea(spillArea(output, jobIdOf(spec)), "killed-run");
    const leftovers = [`${area}join-0.old.run-0`, `${area}join-0.new.run-3`];
    for (const l of leftovers) {
      await Deno.mkdir(posix.dirname(l), { recursive: true });
      await Deno.writeFile(l, new Uint8Array(100));
    }
    assert.deepEqual(temporaryFiles(output).length, 2);
    const report = await runWarmStart(spec, {
      ...FORCED_STRATEGIES.chosen,
      store: new FileStore(),
    });
    assert.equal(report.outcome, "written");
    assert.deepEqual(await compareWithExpected(scenario, output), []);
    assert.deepEqual(temporaryFiles(output), [], "leftovers and this run's runs are gone");
    // A dry run of the same job (a new output) writes nothing, spill included.
    const dry = posix.join(root, "dry", "model-0");
    await runWarmStart({ ...spec, output: dry }, {
      ...FORCED_STRATEGIES.chosen,
      store: new FileStore(),
      dryRun: true,
    });
    assert.throws(() => Deno.statSync(posix.join(root, "dry")), Deno.errors.NotFound);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
