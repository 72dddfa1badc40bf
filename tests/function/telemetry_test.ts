/**
 * OpenTelemetry end to end: the server and the CLI run with Deno's built-in OTel exporting to a
 * real OpenTelemetry Collector (tests/function/_otelcol.ts); the test reads what the collector
 * received: a span per job and per phase, job metrics by outcome, bytes, duration, retries, and
 * the last success time of a watch.
 */
import assert from "node:assert/strict";
import { S3Store } from "../../lib/storage/s3_store.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { awsEvent } from "./_s3_setup.ts";
import { TOKEN } from "./_setup.ts";
import { lastPoint, startCollector } from "./_otelcol.ts";
import { runCli, startServer } from "./_main_process.ts";

const SAMPLE = new URL("../../docs/sample/", import.meta.url).pathname;

function otelEnv(endpoint: string): Record<string, string> {
  return {
    OTEL_DENO: "true",
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: "warm-start-test",
    OTEL_METRIC_EXPORT_INTERVAL: "500",
    OTEL_BSP_SCHEDULE_DELAY: "100",
    OTEL_DENO_CONSOLE: "ignore",
    // Deno's exporter flushes at exit: bounded (denoland/deno#33157).
    OTEL_EXPORTER_OTLP_TIMEOUT: "2000",
  };
}

Deno.test("telemetry: spans per job and phase, job metrics and the watch's last success reach an OTLP collector", async () => {
  const collector = await startCollector();
  const s3 = await startVersitygw({ buckets: ["models"] });
  let received;
  const startedAt = Date.now() / 1000;
  try {
    const store = new S3Store({ env: s3.env });
    const upload = async (dir: string, to: string) => {
      for (const e of Deno.readDirSync(`${SAMPLE}${dir}`)) {
        await store.put(`${to}${e.name}`, await Deno.readFile(`${SAMPLE}${dir}/${e.name}`));
      }
    };
    await upload("old", "s3://models/prod/");
    await upload("new", "s3://models/candidates/");
    const watch = "s3://models/candidates/";
    const config = {
      watch: [{
        prefix: watch,
        job: {
          ckpt_to_initialize_from: "s3://models/prod/",
          output: "s3://models/warm/{new_name}",
          var_name_to_vocab_info: {
            emb: {
              new_vocab: "new_vocab.txt",
              new_vocab_size: 5,
              num_oov_buckets: 1,
              old_vocab: "../prod/old_vocab.txt",
            },
          },
        },
      }],
    };
    const server = await startServer({
      ...s3.env,
      ...otelEnv(collector.endpoint),
      WARM_START_TOKEN: TOKEN,
      WARM_START_CONFIG: JSON.stringify(config),
    });
    const auth = { authorization: `Bearer ${TOKEN}` };
    try {
      const ev = await fetch(`${server.url}/v1/events?wait=true`, {
        method: "POST",
        headers: auth,
        signal: AbortSignal.timeout(60_000),
        body: JSON.stringify(awsEvent("models", "candidates/model.ckpt-1.index")),
      });
      const body = await ev.json();
      assert.equal(ev.status, 200, JSON.stringify(body));
      assert.equal(body.results[0].status, "done", JSON.stringify(body));
      const bad = await fetch(`${server.url}/v1/warm-start`, {
        method: "POST",
        headers: auth,
        signal: AbortSignal.timeout(60_000),
        body: JSON.stringify({
          ckpt_to_initialize_from: "s3://models/prod/",
          new_checkpoint: "s3://models/candidates/model.ckpt-1",
          output: "s3://models/warm/bad",
          var_name_to_prev_var_name: { nope: "emb" },
        }),
      });
      assert.equal(bad.status, 422);
      await bad.body?.cancel();
    } finally {
      assert.equal(await server.stop(), 0, server.logs());
    }
    // The CLI, against a store that refuses connections: retried, then failed (exit 75).
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(
        `${dir}/job.json`,
        JSON.stringify({
          ckpt_to_initialize_from: "s3://models/prod/",
          new_checkpoint: "s3://models/candidates/model.ckpt-1",
          output: `${dir}/out/m`,
        }),
      );
      const r = await runCli(["warm-start", "--spec", `${dir}/job.json`], {
        env: {
          ...s3.env,
          // Port 1: nothing listens there (a free port found now may be taken by a parallel test).
          AWS_ENDPOINT_URL: "http://127.0.0.1:1",
          ...otelEnv(collector.endpoint),
        },
        timeoutMs: 60_000,
      });
      assert.match(r.stderr, /"msg":"storage retry"/, "retries are logged");
      assert.match(r.stderr, /"phase":"failed".*"retryable":true/, "failed retryably");
      // Exits (lib/function/process_exit.ts: Deno's exit-time OTel flush hung without it).
      assert.equal(r.code, 75, r.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await s3.stop();
    received = await collector.stop();
  }
  const { spans, points } = received;

  // The watched job: one trace, a job span with a child per phase.
  const job = spans.find((s) =>
    s.name === "warm-start job" && s.attributes["warm_start.outcome"] === "done"
  );
  assert.ok(job, `no finished job span in ${spans.map((s) => s.name)}`);
  assert.equal(job.service, "warm-start-test");
  assert.equal(job.attributes["warm_start.watch"], "s3://models/candidates/");
  assert.equal(job.attributes["warm_start.trigger"], "event");
  assert.ok((job.attributes["warm_start.bytes"] as number) > 0);
  assert.ok((job.attributes["warm_start.storage.reads"] as number) > 0);
  assert.equal(job.status, 1);
  const children = spans.filter((s) => s.parentSpanId === job.spanId);
  assert.ok(children.every((s) => s.traceId === job.traceId));
  const names = children.map((s) => s.name);
  for (const n of ["resolve", "plan", "shard", "index"]) {
    assert.ok(names.includes(`warm-start ${n}`), `${n} in ${names}`);
  }
  const shard = children.find((s) => s.name === "warm-start shard")!;
  assert.match(
    String(shard.attributes["warm_start.shard"]),
    /^s3:\/\/models\/warm\/model\.ckpt-1\.data-/,
  );
  assert.ok((shard.attributes["warm_start.bytes"] as number) > 0);
  const resolve = children.find((s) => s.name === "warm-start resolve")!;
  assert.ok(
    (resolve.attributes["warm_start.storage.reads"] as number) > 0,
    "requests counted per phase",
  );

  // The refused job and the CLI's failed one: error spans.
  const failed = spans.filter((s) =>
    s.name === "warm-start job" && s.attributes["warm_start.outcome"] === "failed"
  );
  assert.equal(failed.length, 2, JSON.stringify(failed));
  assert.ok(failed.every((s) => s.status === 2));
  assert.ok(failed.some((s) => s.attributes["error.type"] === "invalid_settings"));

  // Metrics.
  assert.equal(
    lastPoint(points, "warm_start.jobs", { outcome: "done", watch: "s3://models/candidates/" })
      ?.value,
    1,
  );
  assert.equal(
    lastPoint(points, "warm_start.jobs", { outcome: "failed", trigger: "http" })?.value,
    1,
  );
  assert.equal(
    lastPoint(points, "warm_start.jobs", { outcome: "failed", trigger: "cli" })?.value,
    1,
  );
  // Two processes export (the server and the CLI): some point of each counter is the server's.
  const positive = (name: string) => points.some((p) => p.name === name && (p.value ?? 0) > 0);
  assert.ok(positive("warm_start.bytes_written"));
  assert.ok(positive("warm_start.bytes_read"));
  assert.ok((lastPoint(points, "warm_start.job.duration", { outcome: "done" })?.count ?? 0) >= 1);
  assert.ok((lastPoint(points, "warm_start.storage.retries")?.value ?? 0) >= 1);
  const last = lastPoint(points, "warm_start.last_success", { watch: "s3://models/candidates/" });
  assert.ok(
    last && last.value! >= startedAt && last.value! <= Date.now() / 1000,
    JSON.stringify(points.filter((p) => p.name.includes("last"))),
  );
});
