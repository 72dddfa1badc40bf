/**
 * One benchmark job in its own process, so its peak RSS is the engine's alone:
 * `deno run -A bench/job.ts <spec location> [tuning JSON] [split JSON]` prints one JSON line:
 * seconds, peak RSS (the kernel's high-water mark, VmHWM: this process's, not its pool
 * workers'), the report's totals, requests and remap strategy. The split JSON
 * (`{"taskBytes": N, "workers": K}`) splits the job into tasks, run by K pool workers.
 */
import { dirnameLocation } from "../lib/storage/location.ts";
import { parseAllowList } from "../lib/storage/allow_list.ts";
import { defaultStore } from "../lib/storage/router.ts";
import { parseJobSpec } from "../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../lib/warmstart/run.ts";
import { workerPool } from "../lib/function/worker_pool.ts";
import { RUNTIME_FLAGS } from "../lib/function/runtime_flags.ts";

/** Peak resident set size of this process in bytes (Linux: VmHWM), else the current RSS. */
export function peakRss(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
    if (kb > 0) return kb * 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss;
}

if (import.meta.main) {
  const [specLocation, tuningJson, splitJson] = Deno.args;
  const split = splitJson ? JSON.parse(splitJson) as { taskBytes?: number; workers?: number } : {};
  const main = new URL("../main.ts", import.meta.url).pathname;
  const pool = (split.workers ?? 1) > 1
    ? workerPool({
      workers: split.workers!,
      command: [Deno.execPath(), "run", "-A", ...RUNTIME_FLAGS, main, "worker", "--stdio"],
    })
    : undefined;
  const store = defaultStore();
  const started = performance.now();
  const json = JSON.parse(new TextDecoder().decode(await store.read(specLocation)));
  const spec = parseJobSpec(json, { baseDir: dirnameLocation(specLocation) });
  const spillTo = Deno.env.get("WARM_START_SPILL_DIR");
  // With WARM_START_ALLOWED set, every call of the job is checked (allow_list.ts): its cost.
  const allowedRaw = Deno.env.get("WARM_START_ALLOWED");
  const allowed = allowedRaw ? parseAllowList(allowedRaw, Deno.cwd()) : undefined;
  const report = await runWarmStart(spec, {
    store,
    ...(allowed ? { allowed } : {}),
    ...(tuningJson ? { tuning: JSON.parse(tuningJson) } : {}),
    ...(spillTo ? { spillTo } : {}),
    ...(splitJson
      ? {
        split: {
          ...(split.taskBytes ? { taskBytes: split.taskBytes } : {}),
          ...(pool ? { runTasks: pool } : {}),
        },
      }
      : {}),
  });
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({
    seconds,
    peakRssMiB: Math.round(peakRss() / 2 ** 20),
    totals: report.totals,
    requests: report.requests,
    read: report.variables.find((v) => v.vocab?.read)?.vocab?.read,
  }));
}
