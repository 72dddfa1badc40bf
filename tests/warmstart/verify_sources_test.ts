/**
 * The source check (verify_sources.ts) reads each tensor once in bounded chunks, its buffers
 * taken from the job memory and given back — after a mismatch too — and reports TF's
 * DataLossError for a flipped byte.
 */
import assert from "node:assert/strict";
import { writeSynthetic } from "../../bench/synthetic.ts";
import { CorruptCheckpointError, displayKey, readBundleIndex } from "../../lib/checkpoint/mod.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { JobMemory } from "../../lib/warmstart/job_memory.ts";
import { sourceId, verifySources } from "../../lib/warmstart/verify_sources.ts";
import { recordingStore } from "../_stores.ts";

Deno.test("verifySources: chunked reads into the job memory, given back; a flipped byte fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ws-verify-" });
  try {
    const job = await writeSynthetic(new FileStore(), dir, {
      vocab: 5000,
      dim: 64,
      dense: 2,
      denseMiB: 1,
      orders: ["shuffled"],
    });
    const store = recordingStore(new FileStore());
    const old = await readBundleIndex(store, `${dir}/old/model-0`);
    const fresh = await readBundleIndex(store, `${dir}/new/model-0`);
    const sources = old.entries.map((entry) => ({ side: "old" as const, entry }));
    const memory = new JobMemory(4 << 20);
    const verified = new Set<string>();
    const chunkBytes = 256 * 1024;
    const bytes = await verifySources(store, { old, new: fresh }, sources, {
      verified,
      memory,
      chunkBytes,
    });
    assert.equal(bytes, job.oldBytes);
    assert.deepEqual([...verified].sort(), sources.map((s) => sourceId("old", s.entry)).sort());
    assert.equal(memory.free, 4 << 20, "every read buffer given back");
    const reads = store.requests.filter((r) => r.op === "readRange");
    assert.equal(
      reads.length,
      sources.reduce((n, s) => n + Math.ceil(s.entry.size / chunkBytes), 0),
    );
    assert.ok(reads.every((r) => r.range!.length <= chunkBytes));

    // One flipped byte in the second dense tensor.
    const data = `${dir}/old/model-0.data-00000-of-00001`;
    const file = await Deno.readFile(data);
    const dense1 = old.entries.find((e) => displayKey(e.key) === "dense_1/kernel")!;
    file[dense1.offset + 777] ^= 1;
    await Deno.writeFile(data, file);
    await assert.rejects(
      verifySources(store, { old, new: fresh }, sources, {
        verified: new Set(),
        memory,
        chunkBytes,
      }),
      (e: unknown) => e instanceof CorruptCheckpointError && /dense_1\/kernel/.test(e.message),
    );
    assert.equal(memory.free, 4 << 20, "given back after the mismatch too");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
