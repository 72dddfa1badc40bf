/**
 * The server's memory bound, measured: `main.ts serve` (its own process) answering dry runs of
 * a job whose NEW `.meta` is large (60 MiB, under the 64 MiB default cap; read whole and decoded
 * per job), one at a time, then 20 at
 * once with the default WARM_START_MAX_JOBS (4: the rest are 429) beside the same 20 with the
 * limit raised to 20 (what an unbounded server does). Peak RSS is the process's high-water mark
 * (VmHWM), so each figure comes from a fresh server.
 */
import * as posix from "node:path/posix";
import { startServer } from "../tests/function/_main_process.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const TOKEN = "bench-token-0123456789abcdef";

function hwmMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? "0") / 1024;
}

/** docs/sample with NEW's `.meta` grown by an unknown field of `metaMiB` MiB (decoders skip it). */
async function fatSample(dir: string, metaMiB: number): Promise<void> {
  for (const side of ["old", "new"]) {
    await Deno.mkdir(posix.join(dir, side), { recursive: true });
    for (const e of Deno.readDirSync(posix.join(ROOT, "docs/sample", side))) {
      await Deno.copyFile(
        posix.join(ROOT, "docs/sample", side, e.name),
        posix.join(dir, side, e.name),
      );
    }
  }
  const meta = posix.join(dir, "new/model.ckpt-1.meta");
  const n = metaMiB * 2 ** 20;
  // Field 2 (graph_def), wire type 2: tag 0x12, varint length, then the bytes.
  const header = [0x12];
  for (let v = n;; v = Math.floor(v / 128)) {
    if (v < 128) {
      header.push(v);
      break;
    }
    header.push((v % 128) | 0x80);
  }
  const f = await Deno.open(meta, { append: true });
  await f.write(Uint8Array.from(header));
  await f.write(new Uint8Array(n).fill(0x61));
  f.close();
}

function spec(dir: string, i: number) {
  return {
    ckpt_to_initialize_from: `${dir}/old/`,
    new_checkpoint: `${dir}/new/model.ckpt-1`,
    output: `${dir}/merged/job-${i}`,
    var_name_to_vocab_info: {
      emb: {
        new_vocab: `${dir}/new/new_vocab.txt`,
        new_vocab_size: 5,
        num_oov_buckets: 1,
        old_vocab: `${dir}/old/old_vocab.txt`,
      },
    },
  };
}

async function measure(dir: string, jobs: number, maxJobs: number) {
  const server = await startServer({
    WARM_START_TOKEN: TOKEN,
    WARM_START_MAX_JOBS: String(maxJobs),
  });
  try {
    const idle = hwmMiB(server.pid);
    const statuses = await Promise.all(Array.from({ length: jobs }, async (_, i) => {
      const res = await fetch(`${server.url}/v1/warm-start?dry_run=true`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify(spec(dir, i)),
      });
      await res.body?.cancel();
      return res.status;
    }));
    const counts = new Map<number, number>();
    for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
    return { idle, peak: hwmMiB(server.pid), counts: [...counts].map(([s, n]) => `${n}×${s}`) };
  } finally {
    await server.stop();
  }
}

/** Prints the server memory figures. */
export async function serverMemory(metaMiB = 60): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ws-bench-server-" });
  try {
    await fatSample(dir, metaMiB);
    const one = await measure(dir, 1, 4);
    const capped = await measure(dir, 20, 4);
    const unbounded = await measure(dir, 20, 20);
    const row = (label: string, r: Awaited<ReturnType<typeof measure>>) =>
      console.log(
        `${label.padEnd(44)} peak RSS ${r.peak.toFixed(0).padStart(5)} MiB ` +
          `(idle ${r.idle.toFixed(0)} MiB; answers ${r.counts.join(", ")})`,
      );
    console.log(`server memory: dry runs whose NEW .meta is ${metaMiB} MiB (read whole per job)`);
    row("1 job", one);
    row("20 at once, WARM_START_MAX_JOBS=4 (default)", capped);
    row("20 at once, WARM_START_MAX_JOBS=20", unbounded);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await serverMemory(Number(Deno.args[0] ?? 60));
