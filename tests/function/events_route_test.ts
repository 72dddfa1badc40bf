import { deepEqual as assertEquals, match as assertMatch } from "node:assert/strict";
import { StorageError } from "../../lib/storage/errors.ts";
import { markerLocation } from "../../lib/warmstart/marker.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { fakeEngine } from "./_fake_engine.ts";
import { awsEvent, s3Setup } from "./_s3_setup.ts";
import { request } from "./_setup.ts";

const BUCKET = "models";

function jobFile(output = "merged/model.ckpt-1"): string {
  return JSON.stringify({
    ckpt_to_initialize_from: "../old/",
    new_checkpoint: "model.ckpt-1",
    output,
  });
}

Deno.test("POST /v1/events against versitygw (injected engine)", async (t) => {
  const server = await startVersitygw({ buckets: [BUCKET, "elsewhere"] });
  const engine = fakeEngine();
  const s = s3Setup(server, engine.run, {
    WARM_START_ALLOWED: `s3://${BUCKET}/`,
    WARM_START_CONFIG: JSON.stringify({
      watch: [{
        prefix: `s3://${BUCKET}/candidates/`,
        job: {
          ckpt_to_initialize_from: "s3://models/prod/",
          output: "s3://models/warm/{new_name}",
        },
      }],
    }),
  });
  const post = async (body: unknown, query = "?wait=true") => {
    const res = await s.handler(request(`/v1/events${query}`, { body }));
    return { status: res.status, body: await res.json() };
  };
  try {
    await t.step("versitygw's start-up test event is accepted and ignored", async () => {
      const r = await post({ Service: "S3", Event: "s3:TestEvent", Bucket: "Test-Bucket" }, "");
      assertEquals(r.status, 202);
      assertEquals(r.body, { results: [], ignored: ["test event"], retryable: false });
    });

    await t.step(
      "a job file beside a new checkpoint starts the job; keys are form-decoded",
      async () => {
        await s.put(BUCKET, "runs/day 1/model.ckpt-1.index", "index");
        const etag = await s.put(BUCKET, "runs/day 1/warm_start.json", jobFile());
        const r = await post(
          awsEvent(BUCKET, "runs/day 1/warm_start.json", { etag, sequencer: "0A1" }),
        );
        assertEquals(r.status, 200);
        assertEquals(r.body.results.length, 1);
        assertEquals(r.body.results[0].status, "done");
        assertEquals(r.body.results[0].location, `s3://${BUCKET}/runs/day 1/warm_start.json`);
        const spec = engine.calls.at(-1)!.spec;
        assertEquals(spec.newCheckpoint, `s3://${BUCKET}/runs/day 1/model.ckpt-1`);
        assertEquals(spec.ckptToInitializeFrom, `s3://${BUCKET}/runs/old/`);
        assertEquals(spec.output, `s3://${BUCKET}/runs/day 1/merged/model.ckpt-1`);
        const marker = JSON.parse(
          new TextDecoder().decode(await s.store.read(markerLocation(spec.output))),
        );
        assertEquals(marker.trigger.sequencer, "0A1");
        assertEquals(marker.trigger.key, `s3://${BUCKET}/runs/day 1/warm_start.json`);
      },
    );

    await t.step("replaying the same event is a no-op", async () => {
      const calls = engine.calls.length;
      const stat = await s.store.stat(`s3://${BUCKET}/runs/day 1/warm_start.json`);
      const etag = stat!.etag.replaceAll('"', "");
      const r = await post(
        awsEvent(BUCKET, "runs/day 1/warm_start.json", { etag, sequencer: "0A1" }),
      );
      assertEquals(r.body.results[0].status, "already_done");
      assertEquals(engine.calls.length, calls);
    });

    await t.step("a job file before its checkpoint waits; the .index event starts it", async () => {
      const etag = await s.put(BUCKET, "runs/day2/warm_start.json", jobFile());
      const early = await post(awsEvent(BUCKET, "runs/day2/warm_start.json", { etag }));
      assertEquals(early.body.results[0].status, "waiting");
      const calls = engine.calls.length;
      const indexEtag = await s.put(BUCKET, "runs/day2/model.ckpt-1.index", "index");
      const late = await post(
        awsEvent(BUCKET, "runs/day2/model.ckpt-1.index", { etag: indexEtag }),
      );
      assertEquals(late.body.results[0].status, "done");
      assertEquals(engine.calls.length, calls + 1);
      assertEquals(
        engine.calls.at(-1)!.spec.output,
        `s3://${BUCKET}/runs/day2/merged/model.ckpt-1`,
      );
    });

    await t.step("the job's own output .index does not start anything", async () => {
      const r = await post(awsEvent(BUCKET, "runs/day2/merged/model.ckpt-1.index"));
      assertEquals(r.body.results[0].status, "ignored");
    });

    await t.step(
      "an event for an overwritten job file is superseded by the newer write",
      async () => {
        await s.put(BUCKET, "runs/day3/model.ckpt-1.index", "index");
        const oldEtag = await s.put(BUCKET, "runs/day3/warm_start.json", jobFile("merged/v1"));
        const newEtag = await s.put(BUCKET, "runs/day3/warm_start.json", jobFile("merged/v2"));
        const calls = engine.calls.length;
        // The newer event arrives first, the older one after it.
        const newer = await post(
          awsEvent(BUCKET, "runs/day3/warm_start.json", { etag: newEtag, sequencer: "0B2" }),
        );
        const older = await post(
          awsEvent(BUCKET, "runs/day3/warm_start.json", { etag: oldEtag, sequencer: "0B1" }),
        );
        assertEquals(newer.body.results[0].status, "done");
        assertEquals(older.body.results[0].status, "superseded");
        assertEquals(engine.calls.length, calls + 1);
        assertEquals(engine.calls.at(-1)!.spec.output, `s3://${BUCKET}/runs/day3/merged/v2`);
        assertEquals(await s.store.stat(`s3://${BUCKET}/runs/day3/merged/v1.index`), undefined);
      },
    );

    await t.step(
      "sequencers are untrusted: a forged maximal one supersedes nothing that follows",
      async () => {
        await s.put(BUCKET, "runs/day4/model.ckpt-1.index", "index");
        await s.put(BUCKET, "runs/day4/warm_start.json", jobFile("merged/v1"));
        const forged = await post(
          awsEvent(BUCKET, "runs/day4/warm_start.json", { sequencer: "F".repeat(40) }),
        );
        assertEquals(forged.body.results[0].status, "done");
        // The same version again, with a genuine (smaller) sequencer: the same job, done.
        const replay = await post(
          awsEvent(BUCKET, "runs/day4/warm_start.json", { sequencer: "05" }),
        );
        assertEquals(replay.body.results[0].status, "already_done");
        // A genuine newer version with a small sequencer runs: storage holds it now.
        const etag = await s.put(BUCKET, "runs/day4/warm_start.json", jobFile("merged/v2"));
        const genuine = await post(
          awsEvent(BUCKET, "runs/day4/warm_start.json", { etag, sequencer: "06" }),
        );
        assertEquals(genuine.body.results[0].status, "done");
        assertEquals(engine.calls.at(-1)!.spec.output, `s3://${BUCKET}/runs/day4/merged/v2`);
      },
    );

    await t.step(
      "a watched .index runs the configured job template (MinIO webhook shape)",
      async () => {
        await s.put(BUCKET, "candidates/model.ckpt-300.index", "index");
        const aws = awsEvent(BUCKET, "candidates/model.ckpt-300.index");
        const minio = {
          EventName: "s3:ObjectCreated:Put",
          Key: `${BUCKET}/candidates/model.ckpt-300.index`,
          Records: (aws.Records as Array<Record<string, unknown>>).map((r) => ({
            ...r,
            eventName: "s3:ObjectCreated:Put",
          })),
        };
        const r = await post(minio);
        assertEquals(r.body.results[0].status, "done");
        const spec = engine.calls.at(-1)!.spec;
        assertEquals(spec.newCheckpoint, `s3://${BUCKET}/candidates/model.ckpt-300`);
        assertEquals(spec.output, `s3://${BUCKET}/warm/model.ckpt-300`);
        assertEquals(spec.ckptToInitializeFrom, `s3://${BUCKET}/prod/`);
      },
    );

    await t.step("a job file naming a bucket outside the allow-list is refused", async () => {
      await s.put(BUCKET, "runs/evil/model.ckpt-1.index", "index");
      const body = JSON.stringify({
        ckpt_to_initialize_from: "s3://elsewhere/old/",
        new_checkpoint: "model.ckpt-1",
        output: "s3://elsewhere/stolen",
      });
      await s.put(BUCKET, "runs/evil/warm_start.json", body);
      const calls = engine.calls.length;
      const r = await post(awsEvent(BUCKET, "runs/evil/warm_start.json"));
      assertEquals(r.status, 200);
      assertEquals(r.body.results[0].status, "refused");
      assertMatch(r.body.results[0].reason, /ForbiddenLocationError: .*ckpt_to_initialize_from/);
      assertEquals(engine.calls.length, calls);
      const outside = await post(awsEvent("elsewhere", "x/warm_start.json"));
      assertEquals(outside.body.results[0].status, "refused");
    });

    await t.step(
      "without ?wait the route answers 202 at once and the job finishes after",
      async () => {
        await s.put(BUCKET, "runs/async/model.ckpt-1.index", "index");
        await s.put(BUCKET, "runs/async/warm_start.json", jobFile());
        const r = await post(awsEvent(BUCKET, "runs/async/warm_start.json"), "");
        assertEquals(r.status, 202);
        assertEquals(r.body.results[0].status, "started");
        await s.handler.runner.idle();
        const st = await s.store.stat(
          markerLocation(`s3://${BUCKET}/runs/async/merged/model.ckpt-1`),
        );
        assertEquals(st !== undefined, true);
      },
    );

    await t.step("malformed notifications are 400", async () => {
      const r = await post({ hello: "world" });
      assertEquals(r.status, 400);
      assertEquals(r.body.error.field, "Records");
    });
  } finally {
    await s.close();
    await server.stop();
  }
});

Deno.test("POST /v1/events: a newer event aborts the older event's running job", async () => {
  const server = await startVersitygw({ buckets: [BUCKET] });
  const engine = fakeEngine({ delayMs: 300 });
  const s = s3Setup(server, engine.run);
  try {
    await s.put(BUCKET, "r/model.ckpt-1.index", "index");
    await s.put(BUCKET, "r/warm_start.json", jobFile("merged/v1"));
    const post = async (body: unknown) => {
      const res = await s.handler(request("/v1/events?wait=true", { body }));
      return (await res.json()).results[0];
    };
    const older = post(awsEvent(BUCKET, "r/warm_start.json", { sequencer: "01" }));
    await new Promise((r) => setTimeout(r, 100)); // the v1 job is running now
    await s.put(BUCKET, "r/warm_start.json", jobFile("merged/v2"));
    const newer = post(awsEvent(BUCKET, "r/warm_start.json", { sequencer: "02" }));
    assertEquals((await older).status, "superseded");
    assertEquals((await newer).status, "done");
    assertEquals(await s.store.stat(`s3://${BUCKET}/r/merged/v1.index`), undefined);
    assertEquals((await s.store.stat(`s3://${BUCKET}/r/merged/v2.index`)) !== undefined, true);
  } finally {
    await s.close();
    await server.stop();
  }
});

Deno.test("POST /v1/events?wait=true answers 503 when a job failed retryably", async () => {
  const server = await startVersitygw({ buckets: [BUCKET] });
  const engine = fakeEngine({
    error: () => new StorageError("SlowDown", { retryable: true, status: 503 }),
  });
  const s = s3Setup(server, engine.run);
  try {
    await s.put(BUCKET, "r/model.ckpt-1.index", "index");
    await s.put(BUCKET, "r/warm_start.json", jobFile());
    const res = await s.handler(
      request("/v1/events?wait=true", { body: awsEvent(BUCKET, "r/warm_start.json") }),
    );
    assertEquals(res.status, 503);
    const body = await res.json();
    assertEquals(body.retryable, true);
    assertEquals(body.results[0].status, "failed");
    assertEquals(body.results[0].retryable, true);
  } finally {
    await s.close();
    await server.stop();
  }
});

Deno.test("POST /v1/events: the job queue is bounded; a record it cannot take is retryable (503)", async () => {
  const server = await startVersitygw({ buckets: [BUCKET] });
  const engine = fakeEngine({ delayMs: 400 });
  const s = s3Setup(server, engine.run, { WARM_START_MAX_JOBS: "1", WARM_START_MAX_QUEUED: "1" });
  try {
    const records = [];
    for (const run of ["q1", "q2", "q3"]) {
      await s.put(BUCKET, `${run}/model.ckpt-1.index`, "index");
      await s.put(BUCKET, `${run}/warm_start.json`, jobFile());
      records.push(...(awsEvent(BUCKET, `${run}/warm_start.json`).Records as unknown[]));
    }
    const res = await s.handler(request("/v1/events", { body: { Records: records } }));
    assertEquals(res.status, 503);
    assertEquals(res.headers.get("retry-after"), "30");
    const body = await res.json();
    const statuses = body.results.map((r: { status: string }) => r.status).sort();
    assertEquals(statuses, ["failed", "started", "started"]);
    const failed = body.results.find((r: { status: string }) => r.status === "failed");
    assertEquals(failed.retryable, true);
    assertMatch(failed.reason, /queue is full/);
    await s.handler.runner.idle();
    assertEquals(engine.calls.length, 2);
  } finally {
    await s.close();
    await server.stop();
  }
});
