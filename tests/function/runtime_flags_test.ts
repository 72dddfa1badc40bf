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

/**
 * Largest size (MiB) V8's new space (the young generation's semi-spaces) reaches in a child that
 * makes ~100 MiB of short-lived garbage, with `flags`. The space's size, not the heap's total: the
 * heap's total also moves with the old generation, which a busy machine's GC timing shifts by tens
 * of MiB (a heap-total comparison failed CI at 82.6 vs 99.5 MiB).
 */
async function peakNewSpace(flags: readonly string[]): Promise<number> {
  const script = `
    import v8 from "node:v8";
    let keep = [], peak = 0;
    for (let i = 0; i < 200; i++) {
      for (let j = 0; j < 20000; j++) keep.push({ a: j, b: "x" + j, c: [j, j] });
      keep = keep.slice(-1000);
      const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
      peak = Math.max(peak, young.space_size);
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
  const capped = await peakNewSpace(RUNTIME_FLAGS);
  const free = await peakNewSpace([]);
  // Measured (idle and with 3 busy loops beside it): 8.5-9.75 MiB capped, 64 MiB with V8's
  // defaults. Two 4 MiB semi-spaces plus V8's page rounding stay under 16.
  assert.ok(capped > 0 && capped <= 16, `new space ${capped} MiB with ${RUNTIME_FLAGS}`);
  assert.ok(free >= 32, `new space ${free} MiB with V8's defaults (the workload must grow it)`);
});
