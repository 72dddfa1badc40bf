/**
 * Planning a split job over a simulated checkpoint of `TiB` tebibytes (default 1): OLD and NEW
 * indexes synthesized (tensors of `GiB` gibibytes over 8 data shards, the shards sparse files, so
 * nothing is read or written but the plan), planned as the distributed path's Plan step does
 * (`split.planOnly`), with the local store's rules (every byte streamed) and with S3's (verbatim
 * tensors copied server-side). Prints one JSON line per store: tasks, plan.json bytes, the
 * largest message, plan time and this process's peak RSS.
 *
 * `deno run -A bench/plan_scale.ts [TiB] [GiB]`
 */
import * as posix from "node:path/posix";
import { defaultHeader, encodeBundleIndex } from "../lib/checkpoint/bundle_index.ts";
import { dataLocation, indexLocation } from "../lib/checkpoint/naming.ts";
import type { BundleEntry } from "../lib/checkpoint/types.ts";
import { FileStore } from "../lib/storage/file_store.ts";
import { MIN_PART_SIZE } from "../lib/storage/part_size.ts";
import { wrapStore } from "../lib/storage/wrap_store.ts";
import { parseJobSpec } from "../lib/warmstart/job_spec.ts";
import { runJobOp } from "../lib/warmstart/job_ops.ts";
import { runWarmStart } from "../lib/warmstart/run.ts";
import { peakRss } from "./job.ts";

const TiB = Number(Deno.args[0] ?? 1);
const GiB = Number(Deno.args[1] ?? 1);
const SHARDS = 8;
const tensorBytes = GiB * 2 ** 30;
const count = Math.round((TiB * 2 ** 40) / tensorBytes);

async function synthesize(prefix: string): Promise<void> {
  const offsets = new Array(SHARDS).fill(0);
  const entries: BundleEntry[] = [];
  const enc = new TextEncoder();
  for (let i = 0; i < count; i++) {
    const shardId = i % SHARDS;
    entries.push({
      key: enc.encode(`layer_${String(i).padStart(6, "0")}/kernel`),
      dtype: 1,
      shape: [tensorBytes / 4 / 1024, 1024],
      shardId,
      offset: offsets[shardId],
      size: tensorBytes,
      crc32c: 0x1234_5678,
      slices: [],
    });
    offsets[shardId] += tensorBytes;
  }
  await Deno.mkdir(posix.dirname(prefix), { recursive: true });
  await Deno.writeFile(indexLocation(prefix), encodeBundleIndex(defaultHeader(SHARDS), entries));
  for (let s = 0; s < SHARDS; s++) {
    const f = await Deno.open(dataLocation(prefix, s, SHARDS), { write: true, create: true });
    await f.truncate(offsets[s]); // sparse: no data blocks
    f.close();
  }
}

const dir = await Deno.makeTempDir({ prefix: "ws-plan-scale-" });
try {
  await synthesize(posix.join(dir, "old/model"));
  await synthesize(posix.join(dir, "new/model"));
  const files = new FileStore();
  // S3's rules on local files: verbatim tensors become copy parts (nothing is copied here).
  const s3Like = wrapStore(files, {
    copiesServerSide: () => true,
    uploadRules: () => ({
      minPartSize: MIN_PART_SIZE,
      partSize: 8 * 2 ** 20,
      equalParts: false,
      minCopySize: MIN_PART_SIZE,
      maxCopyPartSize: 5 * 2 ** 30,
    }),
  });
  for (const [name, store] of [["local", files], ["s3 rules", s3Like]] as const) {
    const spec = parseJobSpec({
      ckpt_to_initialize_from: "old/model",
      new_checkpoint: "new/model",
      output: `out_${name.replace(" ", "_")}/model`,
      vars_to_warm_start: ".*",
    }, { baseDir: dir });
    const started = performance.now();
    const report = await runWarmStart(spec, { store, split: { planOnly: true } });
    const seconds = (performance.now() - started) / 1000;
    const job = report.job!;
    const plan = await Deno.stat(`${job.dir}plan.json`);
    const items = JSON.parse(await Deno.readTextFile(job.tasksLocation)) as unknown[];
    const largest = Math.max(...items.map((i) => JSON.stringify(i).length));
    console.log(JSON.stringify({
      store: name,
      bytes: report.totals.bytesWritten,
      tasks: report.totals.tasks,
      planBytes: plan.size,
      largestMessage: largest,
      seconds,
      peakRssMiB: Math.round(peakRss() / 2 ** 20),
    }));
    await runJobOp({ op: "abort", job: job.dir }, { store });
  }
} finally {
  await Deno.remove(dir, { recursive: true });
}
