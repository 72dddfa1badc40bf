/**
 * Fuzzing the real server (`main.ts serve`) with job specs and notification bodies generated
 * from a fixed seed (_fuzz.ts): every answer is a typed JSON answer with a 2xx or 4xx status
 * (never a 5xx), within seconds, the process's memory stays bounded, nothing is written outside
 * the allowed directory, and /healthz answers within 1 s at the end. The suite runs
 * WARM_START_FUZZ_CASES (default 120) cases of seed WARM_START_FUZZ_SEED (default 1);
 * `deno task fuzz:security` runs thousands.
 */
import assert from "node:assert/strict";
import { startServer } from "../function/_main_process.ts";
import { assertHealthy, copySample, post, rssMiB, snapshot } from "./_attack.ts";
import { fuzzEvent, fuzzSpec, Pick, prng } from "./_fuzz.ts";

const TOKEN = "security-suite-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };
const CASES = Number(Deno.env.get("WARM_START_FUZZ_CASES") ?? "120");
const SEED = Number(Deno.env.get("WARM_START_FUZZ_SEED") ?? "1");
const TYPED = new Set([200, 202, 400, 403, 404, 409, 413, 415, 422]);

Deno.test(`security: fuzzed job specs and event bodies (seed ${SEED}, ${CASES} cases) get typed 2xx/4xx answers`, async () => {
  const root = await Deno.makeTempDir({ prefix: "wsf-sec-fuzz-" });
  const dir = `${root}/allowed`;
  await copySample(dir);
  await Deno.mkdir(`${root}/outside`);
  await Deno.writeTextFile(`${root}/outside/secret`, "secret");
  const mk = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
  assert.ok(mk.success);
  await Deno.symlink("/dev/zero", `${dir}/zero_link`);
  await Deno.symlink(`${root}/outside`, `${dir}/outside_link`);
  const server = await startServer({
    WARM_START_TOKEN: TOKEN,
    WARM_START_ALLOWED: dir,
    WARM_START_BASE_DIR: dir,
    AWS_ENDPOINT_URL: "http://127.0.0.1:1",
    AWS_ACCESS_KEY_ID: "fuzz-access-key",
    AWS_SECRET_ACCESS_KEY: "fuzz-secret-key-0123456789",
  });
  const outside = snapshot(`${root}/outside`);
  const p = new Pick(prng(SEED));
  const failures: string[] = [];
  const statuses = new Map<number, number>();
  try {
    const rss0 = rssMiB(server.pid);
    for (let i = 0; i < CASES; i++) {
      const event = p.chance(0.3);
      const body = event ? fuzzEvent(p, dir) : fuzzSpec(p, dir);
      const path = event
        ? `/v1/events${p.chance(0.5) ? "?wait=true" : ""}`
        : `/v1/warm-start${p.chance(0.85) ? "?dry_run=true" : ""}`;
      const text = p.chance(0.03)
        ? p.string('{["}]:,\u0000\\', 30)
        : JSON.stringify(body) ?? "null";
      const r = await post(`${server.url}${path}`, text, auth);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const typed = r.status < 300 || (typeof r.body.error?.type === "string" &&
        typeof r.body.error?.message === "string");
      if (!TYPED.has(r.status) || !typed || r.ms > 10_000) {
        failures.push(
          `case ${i} ${path} -> ${r.status} in ${r.ms.toFixed(0)} ms: ${text.slice(0, 300)}\n  ${
            r.text.slice(0, 300)
          }`,
        );
      }
    }
    const rss1 = rssMiB(server.pid);
    assert.deepEqual(failures, [], `statuses ${JSON.stringify([...statuses])}`);
    assert.ok(rss1 - rss0 < 200, `RSS ${rss0.toFixed(0)} -> ${rss1.toFixed(0)} MiB`);
    assert.ok(
      (statuses.get(200) ?? 0) > 0 && (statuses.get(400) ?? 0) > 0,
      "the fuzz reaches both",
    );
    assert.deepEqual(snapshot(`${root}/outside`), outside);
    const health = await assertHealthy(server.url);
    assert.equal(health.running, 0);
  } finally {
    await server.stop();
    await Deno.remove(root, { recursive: true });
  }
});
