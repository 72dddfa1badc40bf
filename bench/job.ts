/**
 * One benchmark job in its own process, so its peak RSS is the engine's alone:
 * `deno run -A bench/job.ts <spec.json or s3 spec JSON string>` prints one JSON line.
 */
import { dirnameLocation } from "../lib/storage/location.ts";
import { parseAllowList } from "../lib/storage/allow_list.ts";
import { defaultStore } from "../lib/storage/router.ts";
import { parseJobSpec } from "../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../lib/warmstart/run.ts";

const [specLocation] = Deno.args;
const store = defaultStore();
let peak = Deno.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, Deno.memoryUsage().rss);
}, 20);
const started = performance.now();
const json = JSON.parse(new TextDecoder().decode(await store.read(specLocation)));
const spec = parseJobSpec(json, { baseDir: dirnameLocation(specLocation) });
// With WARM_START_ALLOWED set, every call of the job is checked (allow_list.ts): its cost.
const allowedRaw = Deno.env.get("WARM_START_ALLOWED");
const allowed = allowedRaw ? parseAllowList(allowedRaw, Deno.cwd()) : undefined;
const report = await runWarmStart(spec, { store, ...(allowed ? { allowed } : {}) });
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
peak = Math.max(peak, Deno.memoryUsage().rss);
console.log(JSON.stringify({
  seconds,
  peakRssMiB: Math.round(peak / 2 ** 20),
  bytesWritten: report.totals.bytesWritten,
  bytesFromOld: report.totals.bytesFromOld,
  remapped: report.totals.remapped,
  copied: report.totals.copied,
}));
