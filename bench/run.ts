/**
 * `deno task bench`: every figure beside its baseline, measured in the same run, as ratios
 * (absolute times on shared machines are noise). Each job runs in its own process, so its peak
 * RSS (the kernel's high-water mark) is the job's alone; every timed figure is the best of
 * BENCH_REPEAT runs, baselines included.
 *
 * 1. Local, the anchor job — OLD embedding BENCH_VOCAB × BENCH_DIM float32, NEW vocabulary 90% of
 *    the OLD tokens plus 10% new ones in random order, BENCH_DENSE dense layers of
 *    BENCH_DENSE_MIB each: TensorFlow's own warm_start + Saver.save on the same checkpoints
 *    (tests/oracle/tf_warm_start_bench.py), for the shuffled remap and the plain job (every
 *    tensor verbatim); `cp` of the same data files (with and without fsync) for the plain job.
 * 2. Scaling: the remap at BENCH_SCALES × the embedding, fully and locally shuffled, beside how
 *    `cp` + fsync of OLD's data file scales on the same machine.
 * 3. S3 (versitygw on 127.0.0.1): the same two jobs bucket to bucket, beside a raw streaming
 *    copy (AWS SDK GetObject → UploadPart) of the bytes that must pass through the function and a
 *    server-side copy (CopyObject) of the data files; requests per job.
 *
 * Sizes: BENCH_VOCAB (2,000,000), BENCH_DIM (64), BENCH_DENSE (4), BENCH_DENSE_MIB (64),
 * BENCH_SCALES ("1,2,4"), BENCH_REPEAT (2); BENCH_TF=0 / BENCH_S3=0 skip those parts.
 *
 * @module
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import * as posix from "node:path/posix";
import { crc32c, crc32cJs } from "../lib/bytes/crc32c.ts";
import { FileStore } from "../lib/storage/file_store.ts";
import { RUNTIME_FLAGS } from "../lib/function/runtime_flags.ts";
import { S3Store } from "../lib/storage/s3_store.ts";
import { startVersitygw } from "../tests/storage/_servers.ts";
import { serverMemory } from "./server_memory.ts";
import { type SyntheticJob, type VocabOrder, writeSynthetic } from "./synthetic.ts";

const env = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
const sizes = {
  vocab: env("BENCH_VOCAB", 2_000_000),
  dim: env("BENCH_DIM", 64),
  dense: env("BENCH_DENSE", 4),
  denseMiB: env("BENCH_DENSE_MIB", 64),
};
const SCALES = (Deno.env.get("BENCH_SCALES") ?? "1,2,4").split(",").map(Number);
const REPEAT = Math.max(1, env("BENCH_REPEAT", 2));
const WITH_TF = Deno.env.get("BENCH_TF") !== "0";
const WITH_S3 = Deno.env.get("BENCH_S3") !== "0";
const MiB = 2 ** 20;
const ROOT = new URL("..", import.meta.url).pathname;

/** What a job process reports (bench/job.ts). */
interface JobResult {
  seconds: number;
  peakRssMiB: number;
  totals: { bytesWritten: number; bytesFromOld: number; tasks?: number };
  requests: {
    reads: number;
    bytesRead: number;
    writes: number;
    bytesWritten: number;
    parts: number;
    copyParts: number;
    sourceReads: number;
  };
  read?: { strategy: string; windows?: number; buckets?: number; spillBytes?: number };
}

interface Timed {
  seconds: number;
  peakRssMiB?: number;
}

const rows: string[] = [];
/** One line of the table: a figure, ours, the baseline, and ours ÷ baseline. */
function row(figure: string, ours: string, baseline: string, ratio: string) {
  const line = `| ${figure} | ${ours} | ${baseline} | ${ratio} |`;
  rows.push(line);
  console.log(line);
}
const s = (t: number) => `${t.toFixed(2)} s`;
const mib = (m: number | undefined) => (m === undefined ? "" : `, ${m} MiB RSS`);
const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

async function best<T extends Timed>(run: () => Promise<T>): Promise<T> {
  let winner: T | undefined;
  for (let i = 0; i < REPEAT; i++) {
    // Every run starts with nothing dirty in the page cache (no writeback of earlier runs or of
    // the generator competing with its writes and fsyncs).
    await new Deno.Command("sync").output();
    const r = await run();
    if (!winner || r.seconds < winner.seconds) winner = r;
  }
  return winner!;
}

async function runJob(
  spec: string,
  clean: string[],
  extraEnv: Record<string, string> = {},
  split?: { taskBytes: number; workers: number },
): Promise<JobResult> {
  for (const c of clean) await remove(c);
  const extra = split ? ["{}", JSON.stringify(split)] : [];
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      ...RUNTIME_FLAGS,
      new URL("./job.ts", import.meta.url).pathname,
      spec,
      ...extra,
    ],
    env: extraEnv,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (out.code !== 0) throw new Error(`job ${spec} failed (${out.code})`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}

async function runTf(spec: string, output: string): Promise<Timed> {
  await remove(posix.dirname(output));
  const out = await new Deno.Command(posix.join(ROOT, ".venv/bin/python"), {
    args: [posix.join(ROOT, "tests/oracle/tf_warm_start_bench.py"), spec, output],
    env: { TF_CPP_MIN_LOG_LEVEL: "3" },
    stdout: "piped",
    stderr: "null",
  }).output();
  if (out.code !== 0) throw new Error(`TensorFlow on ${spec} failed (${out.code})`);
  const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
  await remove(posix.dirname(output));
  return { seconds: r.seconds, peakRssMiB: r.peakRssMiB };
}

/** Best time of `cp` + fsync of `from` to a new `to` (the durability a job pays for). */
function cpFsync(from: string, to: string): Promise<Timed> {
  return best(async () => {
    await remove(to);
    return { seconds: await timed("sh", ["-c", `cp "${from}" "${to}" && sync -d "${to}"`]) };
  });
}

/** Wall time of a command. */
async function timed(cmd: string, args: string[]): Promise<number> {
  const t = performance.now();
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "inherit" }).output();
  if (out.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed`);
  return (performance.now() - t) / 1000;
}

async function remove(path: string) {
  await Deno.remove(path, { recursive: true }).catch(() => {});
}

async function generate(dir: string, scale: number, orders: VocabOrder[]): Promise<SyntheticJob> {
  const t = performance.now();
  const job = await writeSynthetic(new FileStore({ fsync: false }), dir, {
    ...sizes,
    vocab: sizes.vocab * scale,
    orders,
  });
  console.error(
    `generated ${orders.join("+")} at ${scale}× in ${
      ((performance.now() - t) / 1000).toFixed(0)
    } s`,
  );
  return job;
}

const describe = (r: JobResult) =>
  r.read
    ? ` [${r.read.strategy}${r.read.windows ? `, ${r.read.windows}×${r.read.buckets}` : ""}]`
    : "";

// ---- 0. crc32c ---------------------------------------------------------------------------------
{
  const big = crypto.getRandomValues(new Uint8Array(65536));
  const data = new Uint8Array(256 * MiB);
  for (let o = 0; o < data.length; o += big.length) data.set(big, o);
  const rate = (f: (b: Uint8Array) => number) => {
    let bestS = Infinity;
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      f(data);
      bestS = Math.min(bestS, (performance.now() - t) / 1000);
    }
    return 256 / bestS;
  };
  const wasm = rate(crc32c);
  const js = rate(crc32cJs);
  console.log(`\nsizes: ${JSON.stringify(sizes)}, scales ${SCALES}, best of ${REPEAT}\n`);
  console.log("| figure | ours | baseline | ours ÷ baseline |");
  console.log("| --- | --- | --- | --- |");
  row(
    "crc32c (WebAssembly; baseline: JS slicing-by-8)",
    `${wasm.toFixed(0)} MiB/s`,
    `${js.toFixed(0)} MiB/s`,
    x(wasm, js),
  );
}

const work = await Deno.makeTempDir({ prefix: "ws-bench-" });
try {
  // ---- 1. local anchor ------------------------------------------------------------------------
  const anchorDir = posix.join(work, "anchor");
  const anchor = await generate(anchorDir, 1, ["shuffled", "local"]);
  const spec = (dir: string, job: SyntheticJob, kind: VocabOrder) =>
    posix.join(dir, job.specs[kind]!);
  const outOf = (dir: string, kind: VocabOrder) => posix.join(dir, `out_${kind}`);
  const scaled = new Map<string, JobResult>();
  const shuffled = await best(() =>
    runJob(spec(anchorDir, anchor, "shuffled"), [outOf(anchorDir, "shuffled")])
  );
  scaled.set("shuffled 1", shuffled);
  if (WITH_TF) {
    const tf = await best(() =>
      runTf(spec(anchorDir, anchor, "shuffled"), posix.join(work, "tf/model-0"))
    );
    row(
      `shuffled remap, local: time (baseline: TensorFlow warm_start + save)${describe(shuffled)}`,
      s(shuffled.seconds) + mib(shuffled.peakRssMiB),
      s(tf.seconds) + mib(tf.peakRssMiB),
      `${x(shuffled.seconds, tf.seconds)} (speedup ${(tf.seconds / shuffled.seconds).toFixed(1)}×)`,
    );
    row(
      "shuffled remap, local: peak RSS (baseline: TensorFlow)",
      `${shuffled.peakRssMiB} MiB`,
      `${tf.peakRssMiB} MiB`,
      x(shuffled.peakRssMiB, tf.peakRssMiB!),
    );
  }

  // ---- 4. scale-out: the same remap split into tasks, in 1 and 2 pool workers ----------------
  const SPLIT_BYTES = env("BENCH_TASK_BYTES", 128 * MiB);
  const oneWorker = await best(() =>
    runJob(spec(anchorDir, anchor, "shuffled"), [outOf(anchorDir, "shuffled")], {}, {
      taskBytes: SPLIT_BYTES,
      workers: 1,
    })
  );
  const twoWorkers = await best(() =>
    runJob(spec(anchorDir, anchor, "shuffled"), [outOf(anchorDir, "shuffled")], {}, {
      taskBytes: SPLIT_BYTES,
      workers: 2,
    })
  );
  row(
    `shuffled remap, local, in ${oneWorker.totals.tasks} tasks: 2 workers (baseline: 1 worker)`,
    s(twoWorkers.seconds),
    s(oneWorker.seconds) + mib(oneWorker.peakRssMiB),
    `${x(twoWorkers.seconds, oneWorker.seconds)} (speedup ${
      (oneWorker.seconds / twoWorkers.seconds).toFixed(2)
    }×)`,
  );
  row(
    "shuffled remap, local: split in 1 worker (baseline: one pass, not split)",
    s(oneWorker.seconds),
    s(shuffled.seconds),
    x(oneWorker.seconds, shuffled.seconds),
  );
  const planned = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./plan_scale.ts", import.meta.url).pathname, "1"],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  for (const line of new TextDecoder().decode(planned.stdout).trim().split("\n")) {
    const p = JSON.parse(line);
    row(
      `planning a simulated 1 TiB checkpoint (${p.store}; 1,024 tensors of 1 GiB): tasks, ` +
        "plan bytes, largest message (baseline: none, absolute)",
      `${p.tasks} tasks, ${(p.planBytes / MiB).toFixed(1)} MiB plan, ${p.largestMessage} B`,
      `${s(p.seconds)}, ${p.peakRssMiB} MiB RSS`,
      "",
    );
  }

  const plainDir = posix.join(work, "plain");
  const plainJob = await generate(plainDir, 1, ["plain"]);
  const plain = await best(() =>
    runJob(spec(plainDir, plainJob, "plain"), [outOf(plainDir, "plain")])
  );
  const data = posix.join(plainDir, "old/model-0.data-00000-of-00001");
  const copy = posix.join(work, "cp.data");
  const cp = await best(async () => {
    await remove(copy);
    return { seconds: await timed("cp", [data, copy]) };
  });
  const cpSync = await cpFsync(data, copy);
  await remove(copy);
  row(
    "plain job, local (baseline: cp of the data files)",
    s(plain.seconds) + mib(plain.peakRssMiB),
    s(cp.seconds),
    x(plain.seconds, cp.seconds),
  );
  row(
    "plain job, local (baseline: cp + fsync, the job's durability)",
    s(plain.seconds),
    s(cpSync.seconds),
    x(plain.seconds, cpSync.seconds),
  );
  if (WITH_TF) {
    const tf = await best(() =>
      runTf(spec(plainDir, plainJob, "plain"), posix.join(work, "tf/model-0"))
    );
    row(
      "plain job, local (baseline: TensorFlow warm_start + save)",
      s(plain.seconds) + mib(plain.peakRssMiB),
      s(tf.seconds) + mib(tf.peakRssMiB),
      `${x(plain.seconds, tf.seconds)} (speedup ${(tf.seconds / plain.seconds).toFixed(1)}×)`,
    );
  }

  // ---- 3. S3 (before the scaling runs delete the anchor) --------------------------------------
  if (WITH_S3) await s3Part(anchorDir, anchor, plainDir, plainJob);
  await remove(plainDir);

  // ---- 2. scaling -------------------------------------------------------------------------------
  // Beside each scale, how this machine's own I/O scales: `cp` + fsync of OLD's data file (page
  // cache and writeback are not linear here: 2 GB of fresh pages cost more than 4 × 512 MB).
  const cpAt = new Map<number, number>();
  const cpOld = async (dir: string, scale: number) => {
    const from = posix.join(dir, "old/model-0.data-00000-of-00001");
    const to = posix.join(work, "cp-scale.data");
    cpAt.set(scale, (await cpFsync(from, to)).seconds);
    await remove(to);
  };
  scaled.set(
    "local 1",
    await best(() => runJob(spec(anchorDir, anchor, "local"), [outOf(anchorDir, "local")])),
  );
  await cpOld(anchorDir, 1);
  await remove(anchorDir);
  for (const scale of SCALES.filter((k) => k !== 1)) {
    const dir = posix.join(work, `scale-${scale}`);
    const job = await generate(dir, scale, ["shuffled", "local"]);
    await cpOld(dir, scale);
    for (const kind of ["shuffled", "local"] as const) {
      scaled.set(
        `${kind} ${scale}`,
        await best(() => runJob(spec(dir, job, kind), [outOf(dir, kind)])),
      );
    }
    await remove(dir);
  }
  const [local1, shuffled1] = [scaled.get("local 1")!, scaled.get("shuffled 1")!];
  row(
    `local remap at 1× (baseline: the shuffled remap)${describe(local1)}`,
    s(local1.seconds) + mib(local1.peakRssMiB),
    s(shuffled1.seconds) + mib(shuffled1.peakRssMiB),
    x(local1.seconds, shuffled1.seconds),
  );
  for (const kind of ["shuffled", "local"] as const) {
    const base = scaled.get(`${kind} 1`)!;
    for (const scale of SCALES) {
      const r = scaled.get(`${kind} ${scale}`)!;
      row(
        `${kind} remap at ${scale}× the embedding (baseline: 1×; linear = ${scale}.00×)${
          describe(r)
        }`,
        s(r.seconds) + mib(r.peakRssMiB),
        s(base.seconds) + mib(base.peakRssMiB),
        `${x(r.seconds, base.seconds)} time (cp + fsync of OLD's data: ${
          x(cpAt.get(scale)!, cpAt.get(1)!)
        }), ${x(r.peakRssMiB, base.peakRssMiB)} RSS`,
      );
    }
  }
} finally {
  await remove(work);
}
console.log("\n" + rows.length + " figures.");

/** The S3 part: both jobs bucket to bucket on versitygw, beside the SDK's own copies. */
async function s3Part(
  anchorDir: string,
  anchor: SyntheticJob,
  plainDir: string,
  plainJob: SyntheticJob,
) {
  const server = await startVersitygw({ buckets: ["bench"] });
  const s3 = new S3Store({ env: server.env });
  try {
    const upload = async (dir: string, prefix: string) => {
      for await (const e of Deno.readDir(dir)) {
        const path = posix.join(dir, e.name);
        if (e.isDirectory) await upload(path, `${prefix}/${e.name}`);
        else if (!e.name.startsWith("out")) {
          const file = await Deno.open(path);
          await s3.write(`${prefix}/${e.name}`, file.readable);
        }
      }
    };
    await upload(anchorDir, "s3://bench/anchor");
    await upload(plainDir, "s3://bench/plain");
    const clearOut = async (prefix: string) => {
      for (const l of await s3.list(prefix)) await s3.delete(l);
    };
    const remap = await best(async () => {
      await clearOut("s3://bench/anchor/out_shuffled");
      return await runJob(`s3://bench/anchor/${anchor.specs.shuffled}`, [], server.env);
    });
    // The bytes that must pass through the function: the OLD embedding read, the NEW one written.
    const raw = await best(async () => ({
      seconds: await streamingCopy(
        s3,
        "anchor/old/model-0.data-00000-of-00001",
        anchor.oldEmbeddingBytes,
      ),
    }));
    row(
      `shuffled remap, S3 (baseline: SDK streaming copy of the ${
        (anchor.oldEmbeddingBytes / MiB).toFixed(0)
      } MiB that pass through)${describe(remap)}`,
      s(remap.seconds) + mib(remap.peakRssMiB),
      s(raw.seconds),
      x(remap.seconds, raw.seconds),
    );
    // The same job split into tasks, run by 1 and by 2 pool workers.
    const s3Split = async (workers: number) =>
      await best(async () => {
        await clearOut("s3://bench/anchor/out_shuffled");
        await clearOut("s3://bench/anchor/.warm_start");
        return await runJob(`s3://bench/anchor/${anchor.specs.shuffled}`, [], server.env, {
          taskBytes: env("BENCH_TASK_BYTES", 128 * MiB),
          workers,
        });
      });
    const s3One = await s3Split(1);
    const s3Two = await s3Split(2);
    row(
      `shuffled remap, S3, in ${s3One.totals.tasks} tasks: 2 workers (baseline: 1 worker)`,
      s(s3Two.seconds),
      s(s3One.seconds) + mib(s3One.peakRssMiB),
      `${x(s3Two.seconds, s3One.seconds)} (speedup ${(s3One.seconds / s3Two.seconds).toFixed(2)}×)`,
    );
    // The same job with its spill on the function's local disk (WARM_START_SPILL_DIR).
    const spillDir = await Deno.makeTempDir({ prefix: "ws-bench-spill-" });
    const remapLocalSpill = await best(async () => {
      await clearOut("s3://bench/anchor/out_shuffled");
      return await runJob(`s3://bench/anchor/${anchor.specs.shuffled}`, [], {
        ...server.env,
        WARM_START_SPILL_DIR: spillDir,
      });
    });
    await remove(spillDir);
    row(
      "shuffled remap, S3, spill on local disk (baseline: the same SDK streaming copy)",
      s(remapLocalSpill.seconds) + mib(remapLocalSpill.peakRssMiB),
      s(raw.seconds),
      x(remapLocalSpill.seconds, raw.seconds),
    );
    row(
      "shuffled remap, S3: requests (GET / PUT / part / copy part) beside bytes read / written",
      `${
        remap.requests.reads + remap.requests.sourceReads
      } / ${remap.requests.writes} / ${remap.requests.parts} / ${remap.requests.copyParts}`,
      `${(remap.requests.bytesRead / MiB).toFixed(0)} MiB / ${
        (remap.requests.bytesWritten / MiB).toFixed(0)
      } MiB`,
      "",
    );
    const plain = await best(async () => {
      await clearOut("s3://bench/plain/out_plain");
      return await runJob(`s3://bench/plain/${plainJob.specs.plain}`, [], server.env);
    });
    const serverSide = await best(async () => {
      const t = performance.now();
      await s3.client.send(
        new CopyObjectCommand({
          Bucket: "bench",
          Key: "copy/data",
          CopySource: "bench/plain/old/model-0.data-00000-of-00001",
        }),
      );
      return { seconds: (performance.now() - t) / 1000 };
    });
    row(
      "plain job, S3 (baseline: server-side CopyObject of the data file)",
      s(plain.seconds) + mib(plain.peakRssMiB),
      s(serverSide.seconds),
      x(plain.seconds, serverSide.seconds),
    );
    row(
      "plain job, S3: requests (GET / PUT / part / copy part) beside bytes read / written",
      `${
        plain.requests.reads + plain.requests.sourceReads
      } / ${plain.requests.writes} / ${plain.requests.parts} / ${plain.requests.copyParts}`,
      `${(plain.requests.bytesRead / MiB).toFixed(0)} MiB / ${
        (plain.requests.bytesWritten / MiB).toFixed(0)
      } MiB`,
      "",
    );
  } finally {
    s3.client.destroy();
    await server.stop();
  }
}

/**
 * The raw S3 limit of a remap: the first `length` bytes of `key` streamed by one GetObject into
 * a new object, 8 MiB UploadPart requests four at a time (the SDK alone).
 */
async function streamingCopy(s3: S3Store, key: string, length: number): Promise<number> {
  const t = performance.now();
  const client = s3.client;
  const up = await client.send(
    new CreateMultipartUploadCommand({ Bucket: "bench", Key: "raw/copy" }),
  );
  const got = await client.send(
    new GetObjectCommand({ Bucket: "bench", Key: key, Range: `bytes=0-${length - 1}` }),
  );
  const parts: { PartNumber: number; ETag: string }[] = [];
  const inflight = new Set<Promise<void>>();
  let buffer = new Uint8Array(8 * MiB);
  let filled = 0;
  let n = 0;
  const send = async (body: Uint8Array) => {
    const PartNumber = ++n;
    const p = client.send(
      new UploadPartCommand({
        Bucket: "bench",
        Key: "raw/copy",
        UploadId: up.UploadId,
        PartNumber,
        Body: body,
      }),
    ).then((r) => void parts.push({ PartNumber, ETag: r.ETag! }));
    inflight.add(p);
    p.finally(() => inflight.delete(p));
    if (inflight.size >= 4) await Promise.race(inflight);
  };
  for await (const chunk of got.Body!.transformToWebStream()) {
    let c = chunk as Uint8Array;
    while (c.length > 0) {
      const k = Math.min(c.length, buffer.length - filled);
      buffer.set(c.subarray(0, k), filled);
      filled += k;
      c = c.subarray(k);
      if (filled === buffer.length) {
        await send(buffer);
        buffer = new Uint8Array(8 * MiB);
        filled = 0;
      }
    }
  }
  if (filled > 0) await send(buffer.subarray(0, filled));
  await Promise.all(inflight);
  parts.sort((a, b) => a.PartNumber - b.PartNumber);
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: "bench",
      Key: "raw/copy",
      UploadId: up.UploadId,
      MultipartUpload: { Parts: parts },
    }),
  );
  return (performance.now() - t) / 1000;
}

// The server's memory bound: concurrent jobs are capped (WARM_START_MAX_JOBS), inputs read whole
// are capped by size.
await serverMemory();
