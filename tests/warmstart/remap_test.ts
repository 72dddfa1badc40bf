import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { writeSynthetic } from "../../bench/synthetic.ts";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { StorageError } from "../../lib/storage/errors.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { routingStore } from "../../lib/storage/router.ts";
import { S3Store } from "../../lib/storage/s3_store.ts";
import type { Store } from "../../lib/storage/store.ts";
import { CLEANUP_CONCURRENCY } from "../../lib/storage/limiter.ts";
import { wrapStore } from "../../lib/storage/wrap_store.ts";
import { JobMemory } from "../../lib/warmstart/job_memory.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import type { PlannedShard, RemapPass, Segment } from "../../lib/warmstart/plan.ts";
import {
  bucketCount,
  bucketIndex,
  gatherWindow,
  passLayout,
  rowCopier,
  windowOrder,
  windowRows,
} from "../../lib/warmstart/remap_layout.ts";
import { planRemapPasses } from "../../lib/warmstart/remap_strategy.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { DEFAULT_TUNING } from "../../lib/warmstart/tuning.ts";
import { concurrencyProbe, recordingStore } from "../_stores.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { pendingUploads } from "../storage/_util.ts";
import { MAIN } from "../function/_main_process.ts";
import {
  compareWithExpected,
  listScenarios,
  PORTED_ROOT,
  runScenario,
  temporaryFiles,
} from "./_scenarios.ts";

// The remap passes: the pure geometry agrees with a direct gather, the strategy follows the
// cost model, the job memory is given back, and nothing temporary is left behind after success,
// failure or a kill — on local files and on S3 (versitygw).

/** A deterministic permutation-like row map: -1 for ~10% of the rows. */
function shuffledMap(rows: number, oldRows: number, seed: number): Int32Array {
  const map = new Int32Array(rows);
  let x = seed;
  const perm = Int32Array.from({ length: oldRows }, (_, i) => i);
  for (let i = oldRows - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  for (let i = 0; i < rows; i++) map[i] = i % 10 === 3 || i >= oldRows ? -1 : perm[i];
  return map;
}

Deno.test("remap layout: windows and buckets rebuild exactly the rows a direct gather gives", () => {
  const rowBytes = 12;
  const old = Uint8Array.from({ length: 500 * rowBytes }, (_, i) => (i * 7 + 3) & 0xff);
  // Two members (NEW partitions) reading OLD rows [4, 497) in a shuffled order.
  const members = [shuffledMap(230, 500, 1), shuffledMap(260, 500, 2)];
  for (const m of members) {
    for (let i = 0; i < m.length; i++) if (m[i] < 4 || m[i] >= 497) m[i] = -1;
  }
  const pass: RemapPass = {
    id: 0,
    strategy: "buckets",
    oldKey: "t",
    rowBytes,
    oldStart: 4,
    oldEnd: 497,
    windowRows: 37,
    members,
    bucketRows: 41,
    neededRows: 0,
    estimates: { runs: 0, buckets: 0 },
  };
  const layout = passLayout(pass);
  const order = windowOrder(pass, layout, 0, layout.windows);
  const spills = Array.from({ length: layout.windows }, (_, w) => {
    const { start, count } = windowRows(pass, w);
    return gatherWindow(
      pass,
      layout,
      order,
      w,
      old.slice(start * rowBytes, (start + count) * rowBytes),
    );
  });
  members.forEach((rowMap, m) => {
    for (let k = 0; k < bucketCount(pass, m); k++) {
      const s = layout.firstSection[m] + k;
      const index = bucketIndex(pass, m, k);
      for (let r = 0; r < index.count; r++) {
        const i = index.start + r;
        const w = index.window[r];
        if (rowMap[i] < 0) {
          assert.equal(w, -1);
          continue;
        }
        const at = layout.offsets[w * layout.sections + s] + index.row[r] * rowBytes;
        assert.deepEqual(
          spills[w].subarray(at, at + rowBytes),
          old.subarray(rowMap[i] * rowBytes, rowMap[i] * rowBytes + rowBytes),
          `member ${m} row ${i}`,
        );
      }
    }
  });
});

Deno.test("row copies are bit-exact on every path: NaN payloads survive a hot copier", () => {
  // A float64 view would not do: a copier through one, run hot, turned the signalling-NaN word
  // pair (0x7fa00001, 0x7ff00001) into (0x7fa00001, 0x7ff80001).
  const words = [
    0x7fa00001,
    0x7ff00001,
    0xfff80000,
    0xffffffff,
    0x7f800001,
    0xfff00003,
    0,
    0x80000000,
  ];
  {
    // The case that broke: two rows, each onto itself, in a fresh copier.
    const from = new Uint8Array(16);
    const to = new Uint8Array(16);
    const dv = new DataView(from.buffer);
    for (let i = 0; i < 4; i++) dv.setUint32(4 * i, words[i], true);
    const copy = rowCopier(8, from, to);
    for (let r = 0; r < 100_000; r++) for (let k = 0; k < 2; k++) copy(k, k);
    assert.deepEqual(to, from, "two rows onto themselves");
  }
  const arena = new Uint8Array(4096);
  const paths: Record<string, [Uint8Array, Uint8Array]> = {
    "two buffers": [new Uint8Array(64), new Uint8Array(64)],
    "one buffer": [arena.subarray(8, 72), arena.subarray(1024, 1088)],
    "unaligned": [new Uint8Array(65).subarray(1), new Uint8Array(64)],
  };
  for (const [name, [from, to]] of Object.entries(paths)) {
    const dv = new DataView(from.buffer, from.byteOffset, from.length);
    for (let i = 0; i < 16; i++) dv.setUint32(4 * i, words[i % words.length], true);
    // Row k to row k, and reversed; a fresh copier each, run hot (whether a float view quiets a
    // NaN depends on how the JIT compiled it: the same order broke it in a fresh process).
    for (const dst of [(k: number) => k, (k: number) => 7 - k]) {
      to.fill(0);
      const copy = rowCopier(8, from, to);
      for (let r = 0; r < 100_000; r++) for (let k = 0; k < 8; k++) copy(k, dst(k));
      for (let k = 0; k < 8; k++) {
        const d = dst(k);
        assert.deepEqual(to.subarray(8 * d, 8 * d + 8), from.subarray(8 * k, 8 * k + 8), name);
      }
      for (const [src, dst] of [[8, 0], [0, 8], [-1, 0]]) {
        assert.throws(() => copy(src, dst), RangeError, `${name}: row ${src} → ${dst}`);
      }
    }
  }
  assert.deepEqual(arena.subarray(0, 8), new Uint8Array(8), "nothing written beside the rows");
});

function rowsShard(rowMaps: Int32Array[], rowBytes: number): PlannedShard[] {
  const segments: Segment[] = rowMaps.map((rowMap) => ({
    kind: "rows",
    oldKey: "emb",
    rowBytes,
    rowMap,
    backup: { kind: "fill", element: new Uint8Array(4) },
    backupRowStart: 0,
    strategy: "runs",
  }));
  // deno-lint-ignore no-explicit-any
  return [{ shardId: 0, tensors: segments.map((s) => ({ segments: [s] } as any)) }];
}

Deno.test("remap strategy: the cheapest by the cost model; one pass per OLD tensor", () => {
  const oldIndex = { get: () => ({ slices: [] }) } as never;
  const tuning = { ...DEFAULT_TUNING, memoryBytes: 4 * 1024 * 1024 };
  const rows = 200_000;
  const pick = (maps: Int32Array[]) => {
    const shards = rowsShard(maps, 256);
    const passes = planRemapPasses(shards, oldIndex, tuning);
    return {
      passes,
      strategies: shards[0].tensors.map((t) => (t.segments[0] as { strategy: string }).strategy),
    };
  };
  // Fully shuffled, 51 MB of rows against a 4 MiB budget: the distribution pass.
  const shuffled = pick([shuffledMap(rows, rows, 7)]);
  assert.deepEqual(shuffled.strategies, ["buckets"]);
  // Locally ordered (each chunk's rows near each other): coalesced runs.
  const local = Int32Array.from({ length: rows }, (_, i) => (i ^ 3) % rows);
  assert.deepEqual(pick([local]).strategies, ["runs"]);
  // Few rows, shuffled: they fit half the budget, one pass keeps them.
  const few = shuffledMap(8000, 8000, 3);
  assert.deepEqual(pick([few]).strategies, ["memory"]);
  // Two partitions of one variable reading one OLD tensor: one pass, two members.
  const two = pick([shuffledMap(rows / 2, rows, 1), shuffledMap(rows / 2, rows, 2)]);
  assert.equal(two.passes.length, 1);
  assert.equal(two.passes[0].members.length, 2);
  // No OLD rows needed: nothing to read.
  assert.deepEqual(pick([new Int32Array(100).fill(-1)]).passes, []);
  // Forced.
  const forced = planRemapPasses(rowsShard([local], 256), oldIndex, {
    ...tuning,
    strategy: "buckets",
  });
  assert.equal(forced[0].strategy, "buckets");
});

Deno.test("job memory: blocks taken and given back merge; what does not fit is allocated", () => {
  const memory = new JobMemory(1024);
  const a = memory.take(100);
  const b = memory.take(200);
  assert.equal(a.buffer, b.buffer, "carved from one buffer");
  assert.equal(memory.free, 1024 - 104 - 200);
  a.fill(7);
  memory.give(a);
  const c = memory.take(96);
  assert.equal(c.byteOffset, a.byteOffset, "the freed block is reused");
  assert.ok(c.every((v) => v === 0), "zero-filled");
  const big = memory.take(4096);
  assert.notEqual(big.buffer, a.buffer, "too big: an ordinary allocation");
  memory.give(big);
  memory.give(b);
  memory.give(c);
  assert.equal(memory.free, 1024, "all merged back");
  assert.equal(memory.take(1024).length, 1024);
});

const SHUFFLED = "real_embedding_shuffled_grown_vocab";

Deno.test("a failing spill read fails the job, publishes nothing and leaves no temporary file", async () => {
  const s = listScenarios(PORTED_ROOT).find((x) => x.name === SHUFFLED)!;
  const out = await Deno.makeTempDir({ prefix: "ws-spillfault-" });
  const output = posix.join(out, "model-0");
  let spillReads = 0;
  const store = recordingStore(new FileStore(), (r) => {
    if (r.op === "readRange" && r.location.includes("/.warm_start/tmp/") && ++spillReads === 3) {
      throw new StorageError("injected: spill read failed", {
        location: r.location,
        retryable: false,
      });
    }
  });
  const spec = { ...parseJobSpec(s.spec, { baseDir: s.dir }), output };
  await assert.rejects(
    runWarmStart(spec, { store, tuning: { memoryBytes: 2048, strategy: "buckets" } }),
    /injected/,
  );
  assert.ok(store.requests.some((r) => r.op === "put" && r.location.includes("/.warm_start/tmp/")));
  assert.deepEqual(temporaryFiles(output), []);
  assert.deepEqual(
    [...Deno.readDirSync(out)].map((e) => e.name).filter((n) => n !== ".warm_start"),
    [],
  );
  // The same job, unfaulted: TF's values.
  const ok = await runScenario(s, out, false, {
    tuning: { memoryBytes: 2048, strategy: "buckets" },
  });
  assert.deepEqual(await compareWithExpected(s, ok.output), []);
  await Deno.remove(out, { recursive: true });
});

/** Polls `check` every 5 ms for at most `ms`. */
async function until(check: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  for (const end = performance.now() + ms; performance.now() < end;) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

/** `deno run -A main.ts warm-start --spec SPEC` with a small memory budget. */
function cli(spec: string, env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "warm-start", "--spec", spec],
    env: { NO_COLOR: "1", WARM_START_MEMORY_MIB: "2", ...env },
    stdout: "null",
    stderr: "piped",
  });
}

/**
 * SIGKILLs a CLI run while its window pass has spilled some windows (none of the output is
 * written yet), then reruns it: the rerun converges to the bytes of an uninterrupted run and no
 * temporary object is left. `spilled` lists the temporary objects, `files` reads an output file.
 */
async function killAndRerun(
  spec: string,
  env: Record<string, string>,
  spilled: () => Promise<string[]>,
  published: () => Promise<boolean>,
  files: (suffix: string) => Promise<Uint8Array>,
  reference: (suffix: string) => Promise<Uint8Array>,
) {
  const child = cli(spec, env).spawn();
  const caught = await until(async () => (await spilled()).length >= 2, 60_000);
  child.kill("SIGKILL");
  await child.status;
  await child.stderr.cancel();
  assert.ok(caught, "the run was killed mid-pass (some windows spilled)");
  assert.ok((await spilled()).length >= 2, "the killed run left its spill");
  assert.equal(await published(), false, "nothing published by the killed run");
  const rerun = await cli(spec, env).output();
  assert.equal(rerun.code, 0, new TextDecoder().decode(rerun.stderr));
  assert.deepEqual(await spilled(), [], "the rerun removed the killed run's spill and its own");
  for (const suffix of [".index", ".data-00000-of-00001"]) {
    const [a, b] = [await files(suffix), await reference(suffix)];
    assert.equal(a.length, b.length, suffix);
    assert.ok(a.every((v, i) => v === b[i]), `${suffix} differs from an uninterrupted run`);
  }
}

// Tables larger than the budget, fully shuffled: 100,000 (S3: 60,000) × 64 float32 against 2 MiB
// (50 windows of 512 KiB, 13 buckets; S3: 30 × 8, few requests for the server).
const KILL_JOB = { vocab: 100_000, dim: 64, dense: 1, denseMiB: 1, orders: ["shuffled" as const] };
const S3_JOB = { ...KILL_JOB, vocab: 60_000 };

Deno.test("a CLI run SIGKILLed mid-pass, then rerun: converges, nothing temporary left (local)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ws-kill-" });
  await writeSynthetic(new FileStore({ fsync: false }), dir, KILL_JOB);
  const spec = posix.join(dir, "spec_shuffled.json");
  const output = posix.join(dir, "out_shuffled/model-0");
  // The reference: the same job in this process, read another way (default budget: memory).
  const json = JSON.parse(await Deno.readTextFile(spec));
  const refSpec = {
    ...parseJobSpec(json, { baseDir: dir }),
    output: posix.join(dir, "ref/model-0"),
  };
  await runWarmStart(refSpec, { store: new FileStore() });
  const walk = (p: string): string[] => {
    try {
      return [...Deno.readDirSync(p)].flatMap((e) =>
        e.isDirectory ? walk(posix.join(p, e.name)) : [posix.join(p, e.name)]
      );
    } catch {
      return [];
    }
  };
  await killAndRerun(
    spec,
    {},
    () => Promise.resolve(walk(posix.join(dir, "out_shuffled/.warm_start/tmp"))),
    async () => (await new FileStore().stat(`${output}.index`)) !== undefined,
    (suffix) => Deno.readFile(`${output}${suffix}`),
    (suffix) => Deno.readFile(`${refSpec.output}${suffix}`),
  );
  assert.equal((await readBundleIndex(new FileStore(), output)).entries.length, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("on versitygw: buckets over S3 equal local bytes; kill mid-pass, rerun; nothing left", async () => {
  const server = await startVersitygw({ buckets: ["remap"] });
  const dir = await Deno.makeTempDir({ prefix: "ws-kill-s3-" });
  try {
    const s3 = new S3Store({ env: server.env });
    const store: Store = routingStore({ s3 });
    await writeSynthetic(s3, "s3://remap/job", S3_JOB);
    await writeSynthetic(new FileStore({ fsync: false }), dir, S3_JOB);
    const json = JSON.parse(
      new TextDecoder().decode(await s3.read("s3://remap/job/spec_shuffled.json")),
    );
    // Forced buckets with a small budget on S3, against the local default run.
    const spec = {
      ...parseJobSpec(json, { baseDir: "s3://remap/job" }),
      output: "s3://remap/forced/model-0",
    };
    const report = await runWarmStart(spec, { store, tuning: { memoryBytes: 2 << 20 } });
    assert.equal(report.variables.find((v) => v.vocab)?.vocab?.read?.strategy, "buckets");
    assert.ok(report.requests!.writes > 3, "spill objects were written");
    const local = {
      ...parseJobSpec(json, { baseDir: dir }),
      output: posix.join(dir, "ref/model-0"),
    };
    await runWarmStart(local, { store: new FileStore() });
    for (const suffix of [".index", ".data-00000-of-00001"]) {
      const a = await s3.read(`${spec.output}${suffix}`);
      const b = await Deno.readFile(`${local.output}${suffix}`);
      assert.ok(a.length === b.length && a.every((v, i) => v === b[i]), `${suffix}: S3 != local`);
    }
    assert.deepEqual(
      await s3.list("s3://remap/forced/.warm_start/tmp/"),
      [],
      "no temporary objects",
    );
    // Killed mid-pass through the CLI, then rerun.
    await killAndRerun(
      "s3://remap/job/spec_shuffled.json",
      server.env,
      () => s3.list("s3://remap/job/out_shuffled/.warm_start/tmp/"),
      async () => (await s3.stat("s3://remap/job/out_shuffled/model-0.index")) !== undefined,
      (suffix) => s3.read(`s3://remap/job/out_shuffled/model-0${suffix}`),
      (suffix) => Deno.readFile(`${local.output}${suffix}`),
    );
    assert.equal(await pendingUploads(s3.client, "remap"), 0, "no multipart upload left open");
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a job's clean-up deletes its temporary objects a few at a time, and all of them", async () => {
  const s = listScenarios(PORTED_ROOT).find((x) => x.name === SHUFFLED)!;
  const out = await Deno.makeTempDir({ prefix: "ws-cleanup-" });
  const output = posix.join(out, "model-0");
  try {
    const inner = new FileStore();
    const probe = concurrencyProbe();
    const deleted: string[] = [];
    const store = wrapStore(inner, {
      delete: (location: string) =>
        probe.run(async () => {
          await inner.delete(location);
          deleted.push(location);
        }),
    });
    // 256-byte budget: the remap spills 16+ windows, the vocabulary join its token runs.
    const spec = { ...parseJobSpec(s.spec, { baseDir: s.dir }), output };
    const report = await runWarmStart(spec, {
      store,
      tuning: { memoryBytes: 256, strategy: "buckets" },
    });
    const read = report.variables.find((v) => v.vocab)?.vocab?.read;
    assert.equal(read?.strategy, "buckets");
    const spills = deleted.filter((l) => l.includes(".pass-"));
    assert.ok(spills.length >= 8, `${spills.length} spill objects deleted`);
    assert.equal(probe.peak, CLEANUP_CONCURRENCY, `deletes at once: ${probe.peak}`);
    assert.deepEqual(temporaryFiles(output), []);
    assert.deepEqual(await compareWithExpected(s, output), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
