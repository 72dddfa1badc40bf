import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { ObjectChangedError } from "../../lib/storage/errors.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { recordingStore } from "../_stores.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { copyDir, isEmptyTree, PORTED_ROOT } from "./_scenarios.ts";

Deno.test("an input replaced mid-job fails the job (ETag pinning) and publishes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ws-etag-" });
  await copyDir(posix.join(PORTED_ROOT, "real_embedding_shuffled_grown_vocab"), dir);
  const json = JSON.parse(await Deno.readTextFile(posix.join(dir, "spec.json")));
  const spec = parseJobSpec(json, { baseDir: dir });
  const oldData = posix.join(dir, "old", "model-0.data-00000-of-00001");
  // Rewrites the OLD data file (same bytes, new version) right after its first range read.
  let reads = 0;
  const store = recordingStore(new FileStore(), async (r) => {
    if (r.op !== "readRange" || r.location !== oldData || reads++ !== 1) return;
    const all = await Deno.readFile(oldData);
    await Deno.remove(oldData);
    await Deno.writeFile(oldData, all);
  });
  await assert.rejects(
    // Tiny chunks: many reads of the OLD shard, so some happen after it was replaced.
    runWarmStart(spec, { store, tuning: { chunkBytes: 64, readAhead: 1 } }),
    (e: unknown) => e instanceof ObjectChangedError,
  );
  assert.ok(isEmptyTree(posix.join(dir, "out")), "nothing published");
  await Deno.remove(dir, { recursive: true });
});
