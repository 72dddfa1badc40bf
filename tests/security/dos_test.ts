/**
 * One request must not freeze, kill or bloat the server (`main.ts serve`, real engine): a
 * backtracking-bomb regex, huge regexes (never echoed), indexes whose counts lie (millions of
 * shards, gigabyte shapes in tiny files, thousands of slices), small-by-nature files above their
 * caps (`.meta`, state file, job spec file), too many jobs at once, a job stuck on a storage
 * endpoint that never answers (its deadline), SIGTERM during such a job (the shutdown grace),
 * and 100 connections trickling their bodies (the body deadline). After each: a typed 4xx/5xx
 * in bounded time, and /healthz within 1 s.
 */
import assert from "node:assert/strict";
import { runCli, startServer } from "../function/_main_process.ts";
import { assertHealthy, hangingServer, post, rssMiB, sampleDir, sampleSpec } from "./_attack.ts";
import { hugeShape, manyShards, manySlices, sparseFile } from "./_hostile.ts";

const TOKEN = "security-suite-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };

Deno.test("security: regexes, lying indexes and oversized files are refused in bounded time and memory", async () => {
  const dir = await sampleDir();
  const server = await startServer({ WARM_START_TOKEN: TOKEN, WARM_START_ALLOWED: dir });
  const url = `${server.url}/v1/warm-start?dry_run=true`;
  try {
    const rss0 = rssMiB(server.pid);
    // 1. The backtracking bomb: a 300-byte body that froze the server ~50 s. While it is
    //    answered, /healthz keeps answering.
    const bomb = "(" + ".*".repeat(20) + ")Z";
    const noVocab = { var_name_to_vocab_info: {} };
    const [r] = await Promise.all([
      post(url, sampleSpec(dir, { ...noVocab, vars_to_warm_start: bomb }), auth),
      assertHealthy(server.url),
    ]);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.ms < 3000, `the bomb took ${r.ms.toFixed(0)} ms`);
    const list = await post(
      url,
      sampleSpec(dir, { ...noVocab, vars_to_warm_start: [bomb, bomb, "(a*)*b"] }),
      auth,
    );
    assert.equal(list.status, 200, list.text);

    // 2. Huge patterns: 400, and neither the answer nor the log echoes the pattern.
    const marker = "qzx".repeat(2000); // 6000 characters, above the 4096 cap
    for (
      const p of [marker, [marker], [
        "a",
        "b".repeat(4096),
        "c".repeat(4096),
        "d".repeat(4096),
        "e".repeat(4096),
      ]]
    ) {
      const big = await post(url, sampleSpec(dir, { vars_to_warm_start: p }), auth);
      assert.equal(big.status, 400, big.text.slice(0, 300));
      assert.equal(big.body.error?.field, "vars_to_warm_start");
      assert.ok(big.text.length < 2000, `answer of ${big.text.length} characters`);
    }
    const program = await post(
      url,
      sampleSpec(dir, { vars_to_warm_start: "(?:[ab]{1000}c)".repeat(5) }),
      auth,
    );
    assert.equal(program.status, 400, program.text);
    assert.ok(
      !server.logs().includes("qzxqzxqzxqzxqzxqzxqzxqzxqzxqzxqzxqzxqzx"),
      "the log echoes the pattern",
    );

    // 3. Indexes whose counts lie, as NEW: refused before anything is allocated per count.
    await Deno.mkdir(`${dir}/bad`);
    const indexBytes = await manyShards(`${dir}/bad/shards`);
    assert.ok(indexBytes < 300, `${indexBytes}-byte index`);
    await hugeShape(`${dir}/bad/shape`);
    await manySlices(`${dir}/bad/slices`);
    for (
      const [prefix, why] of [
        ["shards", /declares 3000000 data shards/],
        ["shape", /points past the end/],
        ["slices", /20001 slices/],
      ] as const
    ) {
      const spec = sampleSpec(dir, { new_checkpoint: `${dir}/bad/${prefix}` });
      for (const query of ["?dry_run=true", ""]) {
        const bad = await post(`${server.url}/v1/warm-start${query}`, spec, auth);
        assert.equal(bad.status, 422, bad.text);
        assert.equal(bad.body.error?.code, "corrupt");
        assert.match(String(bad.body.error?.message), why);
        assert.ok(bad.ms < 3000, `${prefix}: ${bad.ms.toFixed(0)} ms`);
      }
    }

    // 4. Small-by-nature files above their caps, refused by size before a byte is read: a
    //    100 MB NEW .meta (cap 64 MiB), a 60 MB checkpoint state file (cap 1 MiB).
    await Deno.mkdir(`${dir}/fat`);
    for (const f of ["model.ckpt-1.index", "model.ckpt-1.data-00000-of-00001"]) {
      await Deno.copyFile(`${dir}/new/${f}`, `${dir}/fat/${f}`);
    }
    await sparseFile(`${dir}/fat/model.ckpt-1.meta`, 100_000_000);
    const meta = await post(
      url,
      sampleSpec(dir, { new_checkpoint: `${dir}/fat/model.ckpt-1` }),
      auth,
    );
    assert.equal(meta.status, 422, meta.text);
    assert.equal(meta.body.error?.code, "object_too_large");
    await Deno.mkdir(`${dir}/fatstate`);
    await sparseFile(`${dir}/fatstate/checkpoint`, 60_000_000);
    const state = await post(
      url,
      sampleSpec(dir, { ckpt_to_initialize_from: `${dir}/fatstate/` }),
      auth,
    );
    assert.equal(state.status, 422, state.text);
    assert.equal(state.body.error?.code, "object_too_large");

    const rss1 = rssMiB(server.pid);
    assert.ok(rss1 - rss0 < 150, `server RSS grew ${rss0.toFixed(0)} -> ${rss1.toFixed(0)} MiB`);
    const health = await assertHealthy(server.url);
    assert.equal(health.running, 0);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("security: a spec file above the cap: the CLI refuses it by size (exit 2)", async () => {
  const dir = await sampleDir();
  try {
    await sparseFile(`${dir}/huge.json`, 150_000_000);
    const r = await runCli(["warm-start", "--spec", `${dir}/huge.json`]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /object_too_large/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A spec whose every location is on an S3 endpoint that never answers. */
function stuckSpec(output: string) {
  return {
    ckpt_to_initialize_from: "s3://models/old/",
    new_checkpoint: "s3://models/new/model.ckpt-1",
    output: `s3://models/${output}`,
  };
}

function stuckEnv(port: number): Record<string, string> {
  return {
    WARM_START_TOKEN: TOKEN,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
    AWS_ACCESS_KEY_ID: "stuck-access-key",
    AWS_SECRET_ACCESS_KEY: "stuck-secret-key-not-real",
    AWS_REGION: "us-east-1",
    S3_FORCE_PATH_STYLE: "1",
  };
}

async function untilRunning(url: string, n: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await assertHealthy(url)).running >= n) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never ${n} running jobs`);
}

Deno.test("security: job slots (429) and deadlines (504) hold against an endpoint that never answers", async () => {
  const stuck = hangingServer();
  const server = await startServer({
    ...stuckEnv(stuck.port),
    WARM_START_MAX_JOBS: "1",
    WARM_START_JOB_TIMEOUT_MS: "2500",
  });
  try {
    const first = post(`${server.url}/v1/warm-start`, stuckSpec("a"), auth);
    await untilRunning(server.url, 1);
    const second = await post(`${server.url}/v1/warm-start`, stuckSpec("b"), auth);
    assert.equal(second.status, 429, second.text);
    assert.equal(second.headers.get("retry-after"), "30");
    assert.equal(second.body.error?.code, "too_many_jobs");
    const timedOut = await first;
    assert.equal(timedOut.status, 504, timedOut.text);
    assert.equal(timedOut.body.error?.code, "job_timeout");
    assert.ok(timedOut.ms < 6000, `deadline answered after ${timedOut.ms.toFixed(0)} ms`);
    const health = await assertHealthy(server.url);
    assert.equal(health.running, 0, "the slot is free again");
  } finally {
    await server.stop();
    stuck.close();
  }
});

Deno.test("security: SIGTERM while a job hangs on a slow input exits within the grace", async () => {
  const stuck = hangingServer();
  const server = await startServer({
    ...stuckEnv(stuck.port),
    WARM_START_SHUTDOWN_GRACE_MS: "500",
  });
  try {
    const pending = post(`${server.url}/v1/warm-start`, stuckSpec("a"), auth).catch((e) => e);
    await untilRunning(server.url, 1);
    const started = performance.now();
    const code = await server.stop();
    const took = performance.now() - started;
    assert.equal(code, 0);
    assert.ok(took < 3000, `exited ${took.toFixed(0)} ms after SIGTERM (grace 500 ms)`);
    const answer = await pending;
    if (!(answer instanceof Error)) assert.equal(answer.status, 503, answer.text);
    assert.match(server.logs(), /shutdown grace over; aborting running jobs/);
  } finally {
    stuck.close();
  }
});

Deno.test("security: 100 connections trickling their bodies get 408 at the body deadline", async () => {
  const server = await startServer({ WARM_START_TOKEN: TOKEN, WARM_START_BODY_TIMEOUT_MS: "1500" });
  const head = `POST /v1/warm-start HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n` +
    `Authorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\n` +
    "Content-Length: 1000\r\n\r\n{";
  const conns: Deno.Conn[] = [];
  let trickling = true;
  let trickle: Promise<void> = Promise.resolve();
  try {
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      const c = await Deno.connect({ hostname: "127.0.0.1", port: server.port });
      await c.write(new TextEncoder().encode(head));
      conns.push(c);
    }
    // One byte per 300 ms on every connection: never done, never idle.
    trickle = (async () => {
      while (trickling) {
        await new Promise((r) => setTimeout(r, 300));
        await Promise.all(conns.map((c) => c.write(new Uint8Array([0x20])).catch(() => 0)));
      }
    })();
    await assertHealthy(server.url);
    // Every request is answered at its deadline (the handler lets go of it then; Deno keeps the
    // socket while the client goes on sending its declared body: README "Security").
    const answered = await Promise.all(conns.map(async (c) => {
      const buf = new Uint8Array(4096);
      const n = await c.read(buf);
      return {
        status: new TextDecoder().decode(buf.subarray(0, n ?? 0)).split("\r\n")[0],
        after: performance.now() - started,
      };
    }));
    for (const a of answered) {
      assert.equal(a.status, "HTTP/1.1 408 Request Timeout");
      assert.ok(a.after < 5000, `answered after ${a.after.toFixed(0)} ms`);
    }
    const health = await assertHealthy(server.url);
    assert.equal(health.running, 0);
    const timeouts = server.logs().split("\n").filter((l) => l.includes('"status":408'));
    assert.equal(timeouts.length, 100);
  } finally {
    trickling = false;
    await trickle;
    for (const c of conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    await server.stop();
  }
});
