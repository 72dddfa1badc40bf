import assert from "node:assert/strict";
import { SettingsError } from "../../lib/warmstart/errors.ts";
import {
  compareWithExpected,
  isEmptyTree,
  jobFilesLeft,
  listScenarios,
  runScenario,
  temporaryFiles,
} from "./_scenarios.ts";
import { runPython } from "./_python.ts";
import * as posix from "node:path/posix";

// Differential test: TensorFlow generates randomized scenarios (vocab sizes, shuffles, OOV,
// truncations, partitionings, dtypes, selection forms, renames) and runs its own warm_start for
// the expected values; we run our engine and compare bit for bit. A fixed seed set runs in the
// suite; `WARM_START_SEEDS=0-999 deno task test:differential` runs more on demand. Every
// scenario also runs with a memory budget far below its tables (256 bytes: the OLD rows of a
// remap in windows of a few rows, many buckets, the vocabularies joined in many partitions),
// each seed forcing one of the remap strategies in turn.
const SEEDS = Deno.env.get("WARM_START_SEEDS") ?? "0-199";

Deno.test(`differential: seeds ${SEEDS} match TensorFlow bit for bit`, async () => {
  const root = await Deno.makeTempDir({ prefix: "ws-random-" });
  await runPython("tests/oracle/make_random_scenarios.py", "", [
    "--seeds",
    SEEDS,
    "--out",
    root,
    "--quiet",
  ]);
  const scenarios = listScenarios(root);
  const [a, b] = SEEDS.split("-").map(Number);
  assert.equal(scenarios.length, b - a + 1, "one scenario per seed");
  const outRoot = posix.join(root, "_out");
  const failures: string[] = [];
  let errors = 0;
  const strategies = ["buckets", "memory", "runs"] as const;
  for (const [n, s] of scenarios.entries()) {
    const outcome = await runScenario(s, outRoot);
    const strategy = strategies[n % strategies.length];
    const small = await runScenario(s, posix.join(root, "_small"), false, {
      tuning: { memoryBytes: 256, strategy },
    });
    if ((small.error?.message ?? "") !== (outcome.error?.message ?? "")) {
      failures.push(
        `${s.name}: ${strategy} with a small budget: ${small.error} vs ${outcome.error}`,
      );
    } else if (!small.error) {
      const diffs = await compareWithExpected(s, small.output);
      if (diffs.length > 0) failures.push(`${s.name} (${strategy}, small): ${diffs.join("; ")}`);
      if (temporaryFiles(small.output).length > 0) failures.push(`${s.name}: temporary files left`);
    }
    // And split into tasks of a few dozen bytes (job_tasks.ts): the same bytes, nothing left.
    const split = await runScenario(s, posix.join(root, "_split"), false, {
      tuning: { memoryBytes: 256, strategy },
      split: { taskBytes: [40, 100, 333][n % 3] },
    });
    if ((split.error?.message ?? "") !== (outcome.error?.message ?? "")) {
      failures.push(`${s.name}: split: ${split.error} vs ${outcome.error}`);
    } else if (!split.error) {
      const diffs = await compareWithExpected(s, split.output);
      if (diffs.length > 0) failures.push(`${s.name} (split): ${diffs.join("; ")}`);
      if (jobFilesLeft(split.output).length > 0) failures.push(`${s.name}: job files left`);
      if (temporaryFiles(split.output).length > 0) failures.push(`${s.name}: split temp left`);
    }
    if (s.expectedError) {
      errors++;
      if (!(outcome.error instanceof SettingsError)) {
        failures.push(`${s.name}: TF raised ${s.expectedError.message}; we: ${outcome.error}`);
      } else if (!isEmptyTree(posix.dirname(outcome.output))) {
        failures.push(`${s.name}: wrote files despite the error`);
      }
      continue;
    }
    if (outcome.error) {
      failures.push(`${s.name}: ${outcome.error}`);
      continue;
    }
    const diffs = await compareWithExpected(s, outcome.output);
    if (diffs.length > 0) failures.push(`${s.name}: ${diffs.join("; ")}`);
  }
  console.log(
    `${scenarios.length} scenarios (${errors} TF error cases), ${failures.length} failed`,
  );
  assert.deepEqual(failures, []);
  await Deno.remove(root, { recursive: true });
});
