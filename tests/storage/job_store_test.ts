/** The store-policy stack of a job: wrapStore forwarding, pinning, retries, batched range reads. */
import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { ObjectChangedError, StorageError } from "../../lib/storage/errors.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { jobStore } from "../../lib/storage/job_store.ts";
import { READS_IN_FLIGHT } from "../../lib/storage/range_reads.ts";
import { STORE_METHODS, wrapStore } from "../../lib/storage/wrap_store.ts";
import { concurrencyProbe, MemoryStore, recordingStore } from "../_stores.ts";

Deno.test("wrapStore: overrides what it is given, forwards every other method", async () => {
  const inner = recordingStore(new MemoryStore());
  await inner.put("a", new Uint8Array([1, 2, 3]));
  inner.requests.length = 0;
  const wrapped = wrapStore(inner, { read: () => Promise.resolve(new Uint8Array([9])) });
  assert.deepEqual(await wrapped.read("a"), new Uint8Array([9]));
  assert.deepEqual(await wrapped.readRange("a", { offset: 1, length: 1 }), new Uint8Array([2]));
  assert.equal((await wrapped.stat("a"))?.size, 3);
  assert.deepEqual(await wrapped.list(""), ["a"]);
  await wrapped.delete("a");
  assert.deepEqual(inner.requests.map((r) => r.op), ["readRange", "stat", "list", "delete"]);
  for (const m of STORE_METHODS) assert.equal(typeof wrapped[m], "function", m);
});

Deno.test("jobStore: reads are pinned; a replaced input fails, the job's own writes do not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ws-jobstore-" });
  try {
    const input = posix.join(dir, "in.bin");
    const output = posix.join(dir, "out.bin");
    await Deno.writeFile(input, new Uint8Array(64).fill(1));
    const store = jobStore(new FileStore(), { retries: false });
    await store.readRange(input, { offset: 0, length: 8 });
    assert.ok(store.pinned(input));
    // The job writes (and rewrites) its output and reads it back: its own versions, no error.
    await store.put(output, new Uint8Array([1]));
    assert.equal((await store.stat(output))?.size, 1);
    await store.put(output, new Uint8Array([1, 2]));
    assert.equal((await store.read(output)).length, 2);
    // Someone else replaces the input: every later read or stat of it fails.
    await Deno.remove(input);
    await Deno.writeFile(input, new Uint8Array(64).fill(2));
    await assert.rejects(store.readRange(input, { offset: 0, length: 8 }), ObjectChangedError);
    await assert.rejects(store.stat(input), ObjectChangedError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("jobStore: a whole read shorter than the object is a retried transport fault", async () => {
  const inner = new MemoryStore();
  await inner.put("vocab.txt", new TextEncoder().encode("a\nb\nc\n"));
  let cuts = 1;
  // A middlebox cuts the body once (at a line boundary, with a matching length).
  const lying = wrapStore(inner, {
    read: async (l) => (cuts-- > 0 ? (await inner.read(l)).subarray(0, 4) : await inner.read(l)),
  });
  const store = jobStore(lying, { retries: { baseDelayMs: 1 } });
  assert.equal(new TextDecoder().decode(await store.read("vocab.txt")), "a\nb\nc\n");
  cuts = 100;
  const failing = jobStore(lying, { retries: { baseDelayMs: 1, attempts: 2 } });
  await assert.rejects(failing.read("vocab.txt"), (e: unknown) => {
    assert.ok(e instanceof StorageError && e.retryable, String(e));
    assert.match(e.message, /Short read of vocab.txt: 4 of 6 bytes/);
    return true;
  });
});

Deno.test("jobStore: batched range reads are coalesced, counted and bounded by one limit", async () => {
  const inner = recordingStore(new MemoryStore());
  await inner.put("data", new Uint8Array(1 << 20).map((_, i) => i & 0xff));
  const store = jobStore(inner, { rangeReads: { maxGap: 100, concurrency: 2 } });
  const ranges = [{ offset: 10, length: 5 }, { offset: 50, length: 5 }, {
    offset: 5000,
    length: 1,
  }];
  inner.requests.length = 0;
  const got = await store.readRanges("data", ranges);
  assert.deepEqual(
    got.map((b) => [...b]),
    ranges.map((r) => Array.from({ length: r.length }, (_, i) => (r.offset + i) & 0xff)),
  );
  assert.deepEqual(inner.requests.filter((r) => r.op === "readRange").map((r) => r.range), [
    { offset: 10, length: 45 },
    { offset: 5000, length: 1 },
  ]);
  assert.equal(store.counts.reads, 2);
  assert.equal(store.counts.bytesRead, 46);
});

Deno.test("jobStore: at most READS_IN_FLIGHT range reads at once by default, all answered", async () => {
  const mem = new MemoryStore();
  await mem.put("data", new Uint8Array(1 << 16).map((_, i) => i & 0xff));
  const probe = concurrencyProbe();
  const inner = wrapStore(mem, {
    readRange: (location: string, range: { offset: number; length: number }) =>
      probe.run(() => mem.readRange(location, range)),
  });
  const store = jobStore(inner);
  const got = await Promise.all(
    Array.from({ length: 40 }, (_, i) => store.readRange("data", { offset: i * 1000, length: 3 })),
  );
  assert.equal(probe.peak, READS_IN_FLIGHT);
  got.forEach((b, i) => assert.deepEqual([...b], [0, 1, 2].map((k) => (i * 1000 + k) & 0xff)));
});
