import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { FileStore } from "../../lib/storage/file_store.ts";
import { recordingStore } from "../_stores.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { compareWithExpected, listScenarios, PORTED_ROOT } from "./_scenarios.ts";

async function run(name: string) {
  const s = listScenarios(PORTED_ROOT).find((x) => x.name === name)!;
  const out = await Deno.makeTempDir({ prefix: "ws-reads-" });
  try {
    const spec = {
      ...parseJobSpec(s.spec, { baseDir: s.dir }),
      output: posix.join(out, "model-0"),
    };
    const store = recordingStore(new FileStore());
    await runWarmStart(spec, { store });
    assert.deepEqual(await compareWithExpected(s, spec.output), [], "values match TF");
    return store.requests.filter((r) => r.op === "readRange" && r.location.includes("/old/"))
      .length;
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

Deno.test("repartitioning across inner axes reads each OLD slice once per band, not per row", async () => {
  // [5,4,3]: OLD in 2 slices, NEW in 2 x 3 parts. Row by row this would be 5 rows x 2 slices x
  // 3 parts = 30 reads; the slice path reads each OLD slice a NEW part needs once (whole, so its
  // CRC32C is checked on the way): at most parts x slices = 12.
  assert.ok(await run("rev_geo3d_old1x2_new2x3") <= 12);
});

Deno.test("a shuffled vocabulary remap reads the OLD rows it needs in one band per slice", async () => {
  // Embedding [42,16] with a shuffled, grown vocabulary, OLD saved in 2 slices, NEW in 3 parts:
  // at most one band per (NEW part, OLD slice) = 6, plus the 2 dense tensors copied verbatim,
  // plus one read per OLD slice no band covered whole, to check its CRC32C before publishing —
  // not one read per row (49 rows).
  assert.ok(await run("real_embedding_shuffled_grown_vocab") <= 10);
});
