/**
 * The function's processes run with RUNTIME_FLAGS (lib/function/runtime_flags.ts): every command
 * that starts main.ts — deno.json's tasks and the commands README.md gives — carries them, and
 * they do what they are there for (V8's young generation stays small under short-lived garbage).
 */
import assert from "node:assert/strict";
import { RUNTIME_FLAGS, V8_FLAGS } from "../../lib/function/mod.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const FLAG = `--v8-flags=${V8_FLAGS}`;

Deno.test("runtime flags: deno.json's tasks and README's commands start main.ts with them", async () => {
  assert.deepEqual(RUNTIME_FLAGS, [FLAG]);
  const tasks = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`)).tasks as Record<
    string,
    string
  >;
  const engine = Object.entries(tasks).filter(([, cmd]) => /^deno run .*\bmain\.ts\b/.test(cmd));
  assert.deepEqual(engine.map(([name]) => name).sort(), ["inspect", "start", "warm-start"]);
  for (const [name, cmd] of engine) {
    assert.match(cmd, new RegExp(`^deno run -A ${FLAG}( --unstable-cron)? main\\.ts `), name);
  }
  const readme = await Deno.readTextFile(`${REPO}README.md`);
  const runs = [...readme.matchAll(/deno run -A ([^`]*?)main\.ts/g)];
  assert.ok(runs.length >= 5, `README's deno run commands: ${runs.length}`);
  for (const [command, flags] of runs) assert.ok(flags.startsWith(FLAG), command);
  const argv = [...readme.matchAll(/\["run", "-A", ([^\]]*?)"main\.ts"/g)];
  assert.ok(argv.length >= 1);
  for (const [command, flags] of argv) assert.ok(flags.startsWith(`"${FLAG}"`), command);
});

/** Peak V8 heap (MiB) of a child that makes 100 MiB of short-lived garbage, with `flags`. */
async function peakHeap(flags: readonly string[]): Promise<number> {
  const script = `
    let keep = [], peak = 0;
    for (let i = 0; i < 200; i++) {
      for (let j = 0; j < 20000; j++) keep.push({ a: j, b: "x" + j, c: [j, j] });
      keep = keep.slice(-1000);
      peak = Math.max(peak, Deno.memoryUsage().heapTotal);
    }
    console.log(peak / 2 ** 20);`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", ...flags, script],
    env: { DENO_V8_FLAGS: "--no-lazy-feedback-allocation" }, // (any flag: no inherited one)
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(out.code, 0);
  return Number(new TextDecoder().decode(out.stdout).trim());
}

Deno.test("runtime flags: V8 accepts them and the young generation stays small", async () => {
  const capped = await peakHeap(RUNTIME_FLAGS);
  const free = await peakHeap([]);
  // Measured here: ~57 MiB capped vs ~100 MiB with V8's defaults.
  assert.ok(capped < free - 20, `heap ${capped.toFixed(1)} MiB capped vs ${free.toFixed(1)} MiB`);
});
