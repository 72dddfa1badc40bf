/**
 * `deno task bench`: warm-starts a synthetic checkpoint (a vocab-remapped embedding plus dense
 * variables) on the local file store and on a real S3 server (versitygw on 127.0.0.1), each job
 * in its own process, and prints time, throughput and peak RSS. Sizes via BENCH_VOCAB,
 * BENCH_DIM, BENCH_DENSE, BENCH_DENSE_MIB.
 */
import * as posix from "node:path/posix";
import { crc32c } from "../lib/bytes/crc32c.ts";
import { FileStore } from "../lib/storage/file_store.ts";
import { S3Store } from "../lib/storage/s3_store.ts";
import { startVersitygw } from "../tests/storage/_servers.ts";
import { serverMemory } from "./server_memory.ts";
import { writeSynthetic } from "./synthetic.ts";

const env = (name: string, fallback: number) => Number(Deno.env.get(name) ?? fallback);
const options = {
  vocab: env("BENCH_VOCAB", 500_000),
  dim: env("BENCH_DIM", 64),
  dense: env("BENCH_DENSE", 4),
  denseMiB: env("BENCH_DENSE_MIB", 64),
};

async function runJob(specLocation: string, extraEnv: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./job.ts", import.meta.url).pathname, specLocation],
    env: extraEnv,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (out.code !== 0) throw new Error(`job failed (${out.code})`);
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
}

function line(label: string, r: { seconds: number; peakRssMiB: number; bytesWritten: number }) {
  const mib = r.bytesWritten / 2 ** 20;
  console.log(
    `${label.padEnd(28)} ${r.seconds.toFixed(2).padStart(7)} s  ${
      (mib / r.seconds).toFixed(0).padStart(5)
    } MiB/s written  peak RSS ${String(r.peakRssMiB).padStart(4)} MiB  (output ${
      mib.toFixed(0)
    } MiB)`,
  );
}

{
  const big = new Uint8Array(256 * 1024 * 1024).fill(0xab);
  const t0 = performance.now();
  crc32c(big);
  const seconds = (performance.now() - t0) / 1000;
  console.log(`crc32c (slicing-by-8): ${(256 / seconds).toFixed(0)} MiB/s`);
}

const dir = await Deno.makeTempDir({ prefix: "ws-bench-" });
const local = new FileStore();
const synthetic = await writeSynthetic(local, dir, options);
console.log(
  `synthetic job: embedding ${options.vocab}x${options.dim} -> ${synthetic.newVocab}+2 rows ` +
    `(block-shuffled, 5% dropped, 10% new), ${options.dense} dense x ${options.denseMiB} MiB; ` +
    `inputs ${(synthetic.inputBytes / 2 ** 20).toFixed(0)} MiB`,
);
line("file store", await runJob(posix.join(dir, "spec.json")));
// The same job with every call checked against an allow-list (symlinks resolved per call), into
// a fresh output (a published one would make it a no-op).
await Deno.remove(posix.join(dir, "out"), { recursive: true });
line(
  "file store, allow-list",
  await runJob(posix.join(dir, "spec.json"), { WARM_START_ALLOWED: dir }),
);

// Memory must not grow with checkpoint size: the same job with a 4x larger embedding.
const bigDir = await Deno.makeTempDir({ prefix: "ws-bench-4x-" });
await writeSynthetic(local, bigDir, { ...options, vocab: options.vocab * 4 });
line("file store, 4x embedding", await runJob(posix.join(bigDir, "spec.json")));
await Deno.remove(bigDir, { recursive: true });

const server = await startVersitygw({ buckets: ["bench"] });
try {
  const s3 = new S3Store({ env: server.env });
  const files = ["spec.json", "old_vocab.txt", "new_vocab.txt"];
  for (const side of ["old", "new"]) {
    for (const e of Deno.readDirSync(posix.join(dir, side))) files.push(`${side}/${e.name}`);
  }
  for (const f of files) {
    const file = await Deno.open(posix.join(dir, f));
    await s3.write(`s3://bench/job/${f}`, file.readable);
  }
  line("versitygw (S3, loopback)", await runJob("s3://bench/job/spec.json", server.env));
} finally {
  await server.stop();
  await Deno.remove(dir, { recursive: true });
}

// The server's memory bound: concurrent jobs are capped (WARM_START_MAX_JOBS), inputs read whole
// are capped by size.
await serverMemory();
