import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { ObjectChangedError } from "../../lib/errors.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import type { ByteRange, ReadOptions, Store } from "../../lib/storage/store.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { copyDir, isEmptyTree, PORTED_ROOT } from "./_scenarios.ts";

/** A FileStore that rewrites a file (same bytes, new version) right after its first range read. */
class RewritingStore extends FileStore {
  #done = false;
  constructor(readonly victim: string) {
    super();
  }
  override async readRange(location: string, range: ByteRange, options?: ReadOptions) {
    const bytes = await super.readRange(location, range, options);
    if (!this.#done && location === this.victim) {
      this.#done = true;
      const all = await Deno.readFile(location);
      await Deno.remove(location);
      await Deno.writeFile(location, all);
    }
    return bytes;
  }
}

Deno.test("an input replaced mid-job fails the job (ETag pinning) and publishes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ws-etag-" });
  await copyDir(posix.join(PORTED_ROOT, "real_embedding_shuffled_grown_vocab"), dir);
  const json = JSON.parse(await Deno.readTextFile(posix.join(dir, "spec.json")));
  const spec = parseJobSpec(json, { baseDir: dir });
  const oldData = posix.join(dir, "old", "model-0.data-00000-of-00001");
  const store: Store = new RewritingStore(oldData);
  await assert.rejects(
    // Tiny chunks: many reads of the OLD shard, so some happen after it was replaced.
    runWarmStart(spec, { store, chunkBytes: 64, readConcurrency: 1 }),
    (e: unknown) => e instanceof ObjectChangedError,
  );
  assert.ok(isEmptyTree(posix.join(dir, "out")), "nothing published");
  await Deno.remove(dir, { recursive: true });
});
