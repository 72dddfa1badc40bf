import assert from "node:assert/strict";
import { SettingsError } from "../../lib/warmstart/errors.ts";
import { scanVocabulary } from "../../lib/warmstart/vocab_file.ts";
import {
  checkNoDuplicateOldIds,
  generateVocabRemapping,
  joinVocabularies,
} from "../../lib/warmstart/vocab_index.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { jobStore } from "../../lib/storage/job_store.ts";
import { JobMemory } from "../../lib/warmstart/job_memory.ts";
import { MemoryStore } from "../_stores.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => String.fromCharCode(...b);

function storeWith(files: Record<string, string | Uint8Array>): MemoryStore {
  const store = new MemoryStore();
  for (const [k, v] of Object.entries(files)) {
    store.objects.set(k, typeof v === "string" ? enc(v) : v);
  }
  return store;
}

/** The tokens of a file, read in chunks of every size from 1 byte up (lines cut anywhere). */
async function tokens(s: string | Uint8Array, size = -1): Promise<string[]> {
  const store = storeWith({ "v.txt": s });
  let first: string[] | undefined;
  for (const chunk of [1, 2, 3, 5, 8192]) {
    const got: string[] = [];
    await scanVocabulary(store, "v.txt", size, (batch) => {
      for (let b = 0; b < batch.count; b++) {
        got.push(dec(batch.buf.subarray(batch.start[b], batch.end[b])));
        assert.equal(batch.line[b], got.length - 1);
      }
    }, { chunkBytes: chunk });
    if (first) assert.deepEqual(got, first, `chunk size ${chunk}`);
    first = got;
  }
  return first!;
}

Deno.test("scanVocabulary() splits lines like TF's TextFileLineIterator", async () => {
  assert.deepEqual(await tokens("a\nb\nc"), ["a", "b", "c"]); // no trailing newline
  assert.deepEqual(await tokens("a\nb\nc\n"), ["a", "b", "c"]); // trailing newline adds nothing
  assert.deepEqual(await tokens("a\r\nb\r\n"), ["a", "b"]); // one trailing \r dropped
  assert.deepEqual(await tokens("a\r\r\nb"), ["a\r", "b"]); // only one
  assert.deepEqual(await tokens("ab\r"), ["ab"]); // also on a last line without newline
  assert.deepEqual(await tokens(" a \tx,y\n"), [" a \tx,y"]); // the whole line, untrimmed
});

Deno.test("scanVocabulary() keeps tokens as bytes (binary strings)", async () => {
  assert.deepEqual(await tokens(new Uint8Array([0xc3, 0xa9, 0x0a, 0xff, 0x0a])), [
    "\xc3\xa9",
    "\xff",
  ]);
});

Deno.test("scanVocabulary() rejects empty lines with TF's message and position", async () => {
  for (const chunk of [1, 2, 4096]) {
    await assert.rejects(
      scanVocabulary(storeWith({ "v.txt": "a\n\nb" }), "v.txt", -1, undefined, {
        chunkBytes: chunk,
      }),
      (e: unknown) =>
        e instanceof SettingsError &&
        e.message === "Invalid content in v.txt: empty line found at position 3.",
    );
  }
  await assert.rejects(tokens("a\n\r\nb"), /empty line found at position 4/);
  await assert.rejects(tokens("a\n\r"), /empty line found at position 3/);
  await assert.rejects(tokens(""), /the vocabulary file is empty/);
  await assert.rejects(
    scanVocabulary(new MemoryStore(), "gone.txt", -1),
    /gone.txt; No such file or directory/,
  );
});

Deno.test("scanVocabulary() with a size reads only the first lines", async () => {
  assert.deepEqual(await tokens("a\nb\n\n", 2), ["a", "b"]); // lines after N are not validated
  assert.deepEqual(await tokens("a\nb", 2), ["a", "b"]);
  await assert.rejects(tokens("a\nb", 3), /Invalid vocab_size in v.txt: expected 3 but got 2/);
  await assert.rejects(tokens("a\nb", 0), SettingsError);
  // Truncated: the bytes after the N-th line are not even read.
  const store = storeWith({ "v.txt": "a\nb\n" + "c\n".repeat(10_000) });
  let read = 0;
  const counting = {
    stat: (l: string) => store.stat(l),
    readRange: (l: string, r: { offset: number; length: number }, _o?: unknown) => {
      read += r.length;
      return store.readRange(l, r);
    },
  };
  assert.equal(
    (await scanVocabulary(counting, "v.txt", 2, undefined, { chunkBytes: 16 })).lines,
    2,
  );
  assert.ok(read <= 32, `read ${read} bytes for 2 lines`);
});

/** A spill over a MemoryStore (token_runs.ts), counting what it holds. */
function memorySpill(store = new MemoryStore(), area = "tmp/run.") {
  let puts = 0;
  return {
    store,
    get puts() {
      return puts;
    },
    spill: {
      area,
      put: (l: string, b: Uint8Array) => {
        puts++;
        return store.put(l, b.slice());
      },
      readRange: (l: string, r: { offset: number; length: number }) => store.readRange(l, r),
      delete: (l: string) => store.delete(l),
    },
    left: () => [...store.objects.keys()].filter((k) => k.startsWith(area)),
  };
}

const join = (
  files: Record<string, string>,
  oldSize = -1,
  memoryBytes?: number,
  spill?: ReturnType<typeof memorySpill>["spill"],
) =>
  joinVocabularies(storeWith(files), "new", "old", oldSize, {
    chunkBytes: 3,
    ...(memoryBytes ? { memoryBytes } : {}),
    ...(spill ? { spill } : {}),
  });

Deno.test("joinVocabularies() fails on a repeated old token like TF's HashTable", async () => {
  for (const memoryBytes of [undefined, 1]) {
    for (const spilled of [false, true]) {
      const s = memorySpill();
      await assert.rejects(
        join(
          { new: "x\n", old: "x\ny\nz\ny\nx\n" },
          -1,
          memoryBytes,
          spilled ? s.spill : undefined,
        ),
        /HashTable has different value for same key. Key y has 1 and trying to add value 3/,
      );
      assert.deepEqual(s.left(), [], "spilled tokens deleted");
    }
  }
  // A repeat after old_vocab_size lines is never read.
  assert.deepEqual([...(await join({ new: "y\n", old: "x\ny\ny\n" }, 2)).map], [1]);
});

Deno.test("joinVocabularies() checks the NEW file first, then the OLD one", async () => {
  await assert.rejects(join({ new: "a\n\n", old: "a\n\n" }), /Invalid content in new/);
  await assert.rejects(join({ new: "a\n", old: "a\n\n" }), /Invalid content in old/);
  await assert.rejects(join({ new: "a\n", old: "a\na\n\n" }), /Invalid content in old/);
});

Deno.test("generateVocabRemapping() reproduces TF's op doc and kernel tests K1-K4", async () => {
  // Op doc: new=[f0,f1,f2,f3], old=[f1,f0,f3], num_new_vocab=3, offset=1 -> [0,-1,2].
  const r = generateVocabRemapping(await join({ new: "f0\nf1\nf2\nf3", old: "f1\nf0\nf3" }), 1, 3);
  assert.deepEqual([...r.remapping], [0, -1, 2]);
  assert.equal(r.numPresent, 2);
  // K1..K4: new = MISSING, knitting, eminem; old = knitting, eminem, MISSING.
  const n = "MISSING\nknitting\neminem\n";
  const o = "knitting\neminem\nMISSING\n";
  const remap = async (
    old: string,
    offset: number,
    count: number,
    size = -1,
  ) => [...generateVocabRemapping(await join({ new: n, old }, size), offset, count).remapping];
  assert.deepEqual(await remap(n, 0, 3), [0, 1, 2]);
  assert.deepEqual(await remap(o, 0, 3), [2, 0, 1]);
  assert.deepEqual(await remap(o, 1, 1), [0]);
  const k4 = generateVocabRemapping(await join({ new: n, old: o }, 2), 0, 3);
  assert.deepEqual([...k4.remapping], [-1, 0, 1]);
  assert.equal(k4.numPresent, 2);
});

Deno.test("generateVocabRemapping() needs enough new-vocab lines", async () => {
  const v = await join({ new: "a\nb", old: "a" });
  assert.throws(() => generateVocabRemapping(v, 0, 3), /lookup table size/);
});

Deno.test("joinVocabularies() in many partitions equals the join in one (exact, bytes)", async () => {
  // Tokens that share prefixes, differ in one byte or only in a trailing \r, and non-UTF-8 bytes.
  const oldTokens = Array.from({ length: 3000 }, (_, i) => `t${(i * 7919) % 3001}\xff${i % 7}`);
  const newTokens = [
    ...oldTokens.filter((_, i) => i % 3 !== 0).reverse(),
    ...Array.from({ length: 500 }, (_, i) => `t${i}\xfe${i % 7}`),
  ];
  const bytes = (t: string[]) => Uint8Array.from([...t.join("\n")].map((c) => c.charCodeAt(0)));
  const store = new MemoryStore();
  store.objects.set("new", bytes(newTokens));
  store.objects.set("old", bytes(oldTokens));
  const expected = newTokens.map((t) => oldTokens.indexOf(t));
  // Files read in small chunks, into reused buffers (FileStore) and job memory, or not.
  const dir = await Deno.makeTempDir({ prefix: "ws-join-" });
  await Deno.writeFile(`${dir}/new`, store.objects.get("new")!);
  await Deno.writeFile(`${dir}/old`, store.objects.get("old")!);
  const files = jobStore(new FileStore());
  for (const memoryBytes of [64 * 1024 * 1024, 16384, 2048]) {
    const got = await joinVocabularies(store, "new", "old", -1, { memoryBytes, chunkBytes: 1000 });
    assert.deepEqual([...got.map], expected, `memory ${memoryBytes}`);
    // The partitions after the first from spilled runs (token_runs.ts): the same map, and the
    // runs deleted after the join.
    const s = memorySpill();
    const runMemory = new JobMemory(Math.max(memoryBytes, 1 << 16));
    const spilled = await joinVocabularies(store, "new", "old", -1, {
      memoryBytes,
      chunkBytes: 1000,
      spill: s.spill,
      memory: runMemory,
    });
    assert.deepEqual([...spilled.map], expected, `spilled, memory ${memoryBytes}`);
    assert.equal(runMemory.free, Math.max(memoryBytes, 1 << 16), "every run buffer given back");
    assert.equal(s.puts > 0, memoryBytes < 64 * 1024 * 1024, `runs written: ${s.puts}`);
    assert.deepEqual(s.left(), [], "runs deleted");
    const memory = new JobMemory(Math.max(memoryBytes, 1 << 16));
    const local = await joinVocabularies(files, `${dir}/new`, `${dir}/old`, -1, {
      memoryBytes,
      chunkBytes: 777,
      memory,
    });
    assert.deepEqual([...local.map], expected, `files, memory ${memoryBytes}`);
    assert.equal(memory.free, Math.max(memoryBytes, 1 << 16), "every buffer given back");
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("joinVocabularies(): a vocabulary that fits the budget is never spilled, even when its first lines say it does not", async () => {
  // Sorted by frequency: short tokens first, then long ones. The first chunk's density makes
  // the OLD file look ~7x as many tokens as it has (a table over the budget), so the first pass
  // only counts; the exact counts fit one table, and the join takes one partition, unspilled.
  const oldTokens = [
    ...Array.from({ length: 200 }, (_, i) => `t${i}`),
    ...Array.from({ length: 1000 }, (_, i) => `a_much_longer_rare_token_${i}`),
  ];
  const newTokens = [...oldTokens.slice(100, 1100).reverse(), "brand_new", "t7"];
  const store = new MemoryStore();
  const enc = new TextEncoder();
  store.objects.set("new", enc.encode(newTokens.join("\n")));
  store.objects.set("old", enc.encode(oldTokens.join("\n")));
  const reads = new Map<string, number>();
  const counted = {
    stat: (l: string) => store.stat(l),
    readRange: (l: string, r: { offset: number; length: number }) => {
      reads.set(l, (reads.get(l) ?? 0) + 1);
      return store.readRange(l, r);
    },
  };
  const expected = newTokens.map((t) => oldTokens.indexOf(t));
  const opts = { memoryBytes: 64 * 1024, chunkBytes: 1000 };
  for (const [fits, memoryBytes] of [[true, 64 * 1024], [false, 16 * 1024]] as const) {
    const s = memorySpill();
    reads.clear();
    const got = await joinVocabularies(counted, "new", "old", -1, {
      ...opts,
      memoryBytes,
      spill: s.spill,
    });
    assert.deepEqual([...got.map], expected, `memory ${memoryBytes}`);
    assert.equal(s.puts === 0, fits, `memory ${memoryBytes}: ${s.puts} runs written`);
    assert.deepEqual(s.left(), []);
    if (fits) {
      // The first chunk (the density), the counting pass, the indexing pass; NEW once.
      const oldChunks = Math.ceil(store.objects.get("old")!.length / 1000);
      const newChunks = Math.ceil(store.objects.get("new")!.length / 1000);
      assert.deepEqual(
        [reads.get("old"), reads.get("new")],
        [1 + 2 * oldChunks, newChunks],
        "read requests",
      );
    }
  }
});

Deno.test("joinVocabularies() spilling: tokens longer than a run, old_vocab_size, exact bytes", async () => {
  const long = (c: string, n: number) => c.repeat(n);
  // Tokens longer than a run (runs are chunkBytes long) are runs of their own; a token that
  // only differs from another in its last byte after 5,000 equal ones must not match it.
  const oldTokens = [
    ...Array.from({ length: 400 }, (_, i) => `o${i}`),
    long("a", 5000) + "x",
    long("b", 1500),
    ...Array.from({ length: 400 }, (_, i) => `p${i}`),
    "cut-1",
    "cut-2",
  ];
  const newTokens = [
    long("a", 5000) + "y",
    long("a", 5000) + "x",
    ...Array.from({ length: 800 }, (_, i) => (i % 2 ? `o${i >> 1}` : `p${i >> 1}`)).reverse(),
    long("b", 1500),
    "cut-2",
    "new",
  ];
  const files = { new: newTokens.join("\n"), old: oldTokens.join("\n") + "\n" };
  const oldSize = oldTokens.length - 1; // "cut-2" is past old_vocab_size: not in OLD
  const used = oldTokens.slice(0, oldSize);
  const expected = newTokens.map((t) => used.indexOf(t));
  const s = memorySpill();
  const got = await joinVocabularies(storeWith(files), "new", "old", oldSize, {
    memoryBytes: 4096,
    chunkBytes: 1024,
    spill: s.spill,
  });
  assert.deepEqual([...got.map], expected);
  assert.ok(s.puts >= 4, `runs: ${s.puts}`);
  assert.deepEqual(s.left(), []);
});

Deno.test("joinVocabularies() spilling: a failed spill write fails the join and deletes the runs", async () => {
  const files = {
    new: Array.from({ length: 3000 }, (_, i) => `n${i}`).join("\n"),
    old: Array.from({ length: 3000 }, (_, i) => `n${(i * 7) % 3000}`).join("\n"),
  };
  const s = memorySpill();
  let writes = 0;
  const failing = {
    ...s.spill,
    put: (l: string, b: Uint8Array) => {
      if (++writes === 3) return Promise.reject(new Error("disk full"));
      return s.spill.put(l, b);
    },
  };
  await assert.rejects(
    joinVocabularies(storeWith(files), "new", "old", -1, {
      memoryBytes: 4096,
      chunkBytes: 512,
      spill: failing,
    }),
    /disk full/,
  );
  assert.ok(s.puts >= 2, `runs written before the failure: ${s.puts}`);
  assert.deepEqual(s.left(), [], "the runs written before the failure are deleted");
});

Deno.test("checkNoDuplicateOldIds() rejects two new ids on one old id (kernel K10)", () => {
  assert.throws(
    () => checkNoDuplicateOldIds(Int32Array.from([1, 0, 0, 0, 1, 2]), "rows"),
    /Old ID 0 is mapped to both new ID 1 and 2, which is not supported/,
  );
  checkNoDuplicateOldIds(Int32Array.from([-1, -1, 0]), "rows");
});
