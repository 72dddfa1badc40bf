import assert from "node:assert/strict";
import { listScenarios, PORTED_ROOT, runScenario } from "./_scenarios.ts";
import { runPython } from "./_python.ts";

// TensorFlow is the reader of record: every merged checkpoint we write for a ported scenario is
// read back by TF (tf.train.load_checkpoint, bit for bit against TF's own warm_start result) and
// restored into the NEW graph with Saver.restore (import_meta_graph of new/model-0.meta).
Deno.test("TensorFlow reads and restores every merged checkpoint we write", async () => {
  const outRoot = await Deno.makeTempDir({ prefix: "ws-interop-" });
  try {
    await checkAll(outRoot);
  } finally {
    await Deno.remove(outRoot, { recursive: true });
  }
});

/** Every success scenario merged under `outRoot`, then read and restored by TF. */
async function checkAll(outRoot: string): Promise<void> {
  const pairs: string[][] = [];
  for (const s of listScenarios(PORTED_ROOT)) {
    if (s.expectedError) continue;
    const outcome = await runScenario(s, outRoot);
    if (outcome.error) throw outcome.error;
    pairs.push([s.dir, outcome.output]);
  }
  assert.ok(pairs.length >= 60, `only ${pairs.length} success scenarios`);
  const results = JSON.parse(
    await runPython("tests/oracle/tf_check_many.py", JSON.stringify(pairs)),
  ) as Record<string, { ok: boolean; mismatches: string[] }>;
  const failures = Object.entries(results).filter(([, r]) => !r.ok).map(([n, r]) =>
    `${n}: ${r.mismatches.join("; ")}`
  );
  assert.equal(Object.keys(results).length, pairs.length);
  assert.deepEqual(failures, []);
}
