/**
 * Every storage call of a job under injected S3 faults, through the real CLI and a loopback fault
 * proxy in front of versitygw: 5xx and throttling answers, connection resets before and after the
 * server acted, bodies cut short (closed early, or with a lying Content-Length) — on reads,
 * uploads, copies, completions, the marker and the claim alike. Each job either succeeds with the
 * bytes of a fault-free run, or fails with a retryable error (exit 75) having published nothing.
 * Never a wrong output.
 */
import assert from "node:assert/strict";
import { indexLocation } from "../../lib/checkpoint/naming.ts";
import { S3Store } from "../../lib/storage/s3_store.ts";
import { type Fault, startFaultProxy } from "../storage/_fault_proxy.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { checkpointBytes, lastLog, runCli, syntheticJob } from "./_jobs.ts";

const SIZE = { vocab: 30_000, dim: 32, dense: 2, denseMiB: 6 };
const JOBS = Number(Deno.env.get("WARM_START_FAULT_JOBS") ?? 8);

/** mulberry32: a deterministic PRNG, so a failing seed can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FAULTS: Fault[] = [
  { kind: "status", status: 503, code: "SlowDown" },
  { kind: "status", status: 500, code: "InternalError" },
  { kind: "reset" },
  { kind: "reset", afterForward: true },
  { kind: "truncate", keep: 7 },
  { kind: "truncate", keep: 7, lieContentLength: true },
];

Deno.test({
  name:
    "faults: every storage call of a CLI job under random S3 faults -> identical bytes or a retryable error",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startVersitygw({ buckets: ["faults"] });
  const proxy = startFaultProxy(server.endpoint);
  const direct = new S3Store({ env: server.env });
  const env = {
    ...server.env,
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_ENDPOINT_URL_S3: proxy.endpoint,
  };
  try {
    const dir = "s3://faults/job";
    const spec = await syntheticJob(direct, dir, SIZE);
    const json = JSON.parse(new TextDecoder().decode(await direct.read(spec)));
    const ref = await runCli(["warm-start", "--spec", spec], { env: server.env });
    assert.equal(ref.code, 0, ref.stderr);
    const want = await checkpointBytes(direct, `${dir}/out/model-0`);
    let succeeded = 0;
    let injected = 0;
    for (let seed = 0; seed < JOBS; seed++) {
      const random = rng(seed + 1);
      const output = `${dir}/run-${seed}/model-0`;
      const jobSpec = `${dir}/spec-${seed}.json`;
      await direct.put(
        jobSpec,
        new TextEncoder().encode(JSON.stringify({ ...json, output: `run-${seed}/model-0` })),
      );
      proxy.clear();
      const before = proxy.faults().length;
      // About one request in 12 fails, whatever it is.
      proxy.inject(() => random() < 1 / 12, FAULTS[seed % FAULTS.length], Infinity);
      proxy.inject(() => random() < 1 / 40, FAULTS[(seed + 3) % FAULTS.length], Infinity);
      const r = await runCli(["warm-start", "--spec", jobSpec], { env });
      proxy.clear();
      injected += proxy.faults().length - before;
      const where = `seed ${seed}`;
      if (r.code === 0) {
        succeeded++;
        const got = await checkpointBytes(direct, output);
        got.forEach((b, i) => assert.deepEqual(b, want[i], `${where}: file ${i} differs`));
      } else {
        const error = lastLog(r.stderr).error as { retryable?: boolean; type: string };
        // 75 (EX_TEMPFAIL): a retry may help.
        assert.equal(r.code, 75, `${where}: ${r.stderr}`);
        assert.equal(error.retryable, true, `${where}: a fault must fail retryably: ${r.stderr}`);
        assert.equal(await direct.stat(indexLocation(output)), undefined, `${where}: published`);
        // Retrying converges to the fault-free bytes.
        const again = await runCli(["warm-start", "--spec", jobSpec], { env: server.env });
        assert.equal(again.code, 0, `${where}: retry failed: ${again.stderr}`);
        const got = await checkpointBytes(direct, output);
        got.forEach((b, i) =>
          assert.deepEqual(b, want[i], `${where}: file ${i} differs after retry`)
        );
      }
      assert.deepEqual(
        await direct.listUploads(`${dir}/run-${seed}/`),
        [],
        `${where}: open uploads`,
      );
    }
    assert.ok(injected >= JOBS * 3, `only ${injected} faults injected`);
    assert.ok(succeeded >= 1, "retries carry most jobs through");
  } finally {
    direct.client.destroy();
    await proxy.close();
    await server.stop();
  }
});

Deno.test({
  name: "faults: a job whose last write (the marker) fails for good converges when run again",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startVersitygw({ buckets: ["lastwrite"] });
  const proxy = startFaultProxy(server.endpoint);
  const direct = new S3Store({ env: server.env });
  const env = {
    ...server.env,
    AWS_ENDPOINT_URL: proxy.endpoint,
    AWS_ENDPOINT_URL_S3: proxy.endpoint,
  };
  try {
    const dir = "s3://lastwrite/job";
    const spec = await syntheticJob(direct, dir, { vocab: 2000, dim: 8, dense: 1, denseMiB: 1 });
    // Every attempt to write the completion marker fails: the index is already published.
    proxy.inject(
      (r) => r.method === "PUT" && r.path.endsWith(".done.json"),
      { kind: "status", status: 503, code: "SlowDown" },
      Infinity,
    );
    const failed = await runCli(["warm-start", "--spec", spec], { env });
    assert.equal(failed.code, 75, failed.stderr); // EX_TEMPFAIL: a retry may help (and does)
    assert.equal((lastLog(failed.stderr).error as { retryable: boolean }).retryable, true);
    assert.ok(await direct.stat(`${dir}/out/model-0.index`), "the index was published first");
    proxy.clear();
    const again = await runCli(["warm-start", "--spec", spec], { env });
    assert.equal(
      again.code,
      0,
      `the rerun must converge, not refuse its own output: ${again.stderr}`,
    );
    assert.ok(
      await direct.stat(`${dir}/.warm_start/model-0.done.json`) ||
        await direct.stat(`${dir}/out/.warm_start/model-0.done.json`),
    );
    const third = await runCli(["warm-start", "--spec", spec], { env });
    assert.equal(lastLog(third.stderr).phase, "already_done");
  } finally {
    direct.client.destroy();
    await proxy.close();
    await server.stop();
  }
});
