import { deepEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { SettingsError } from "../../lib/warmstart/errors.ts";
import { StorageError } from "../../lib/storage/errors.ts";
import { markerLocation } from "../../lib/warmstart/marker.ts";
import { fakeEngine } from "./_fake_engine.ts";
import { request, sampleSpec, setup } from "./_setup.ts";

Deno.test("GET /healthz answers 200 without credentials", async () => {
  const s = await setup(fakeEngine().run);
  try {
    const res = await s.handler(request("/healthz", { token: null }));
    assertEquals(res.status, 200);
    assertEquals((await res.json()).status, "ok");
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start refuses missing, wrong and malformed credentials with 401", async () => {
  const engine = fakeEngine();
  const s = await setup(engine.run);
  try {
    for (const token of [null, "wrong-token-0123456789", ""]) {
      const res = await s.handler(request("/v1/warm-start", { body: sampleSpec(), token }));
      assertEquals(res.status, 401, `token ${token}`);
      assertEquals(res.headers.get("www-authenticate"), "Bearer");
      assertEquals((await res.json()).error.type, "UnauthorizedError");
    }
    const events = await s.handler(request("/v1/events", { body: { Records: [] }, token: null }));
    assertEquals(events.status, 401);
    await events.body?.cancel();
    assertEquals(engine.calls.length, 0);
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start runs the job, answers the report and marks it done", async () => {
  const engine = fakeEngine();
  const s = await setup(engine.run);
  try {
    const res = await s.handler(request("/v1/warm-start", { body: sampleSpec() }));
    assertEquals(res.status, 200);
    const report = await res.json();
    assertEquals(report.output, `${s.dir}/merged/model.ckpt-1`);
    assertEquals(report.newPrefix, `${s.dir}/new/model.ckpt-1`);
    assertEquals(report.dryRun, false);
    assertEquals(res.headers.get("x-warm-start-status"), "done");
    assertMatch(res.headers.get("x-warm-start-job")!, /^[0-9a-f]{16}$/);
    assertEquals(engine.calls.length, 1);
    assertEquals(engine.calls[0].dryRun, false);
    const marker = JSON.parse(
      await Deno.readTextFile(markerLocation(`${s.dir}/merged/model.ckpt-1`)),
    );
    assertEquals(marker.jobId, res.headers.get("x-warm-start-job"));
    assertEquals(marker.trigger, { source: "http" });
    const log = s.logs.find((l) => l.msg === "job finished")!;
    assertEquals(log.phase, "done");
    assertEquals(log.bytes, 8);
    assertEquals(log.job, marker.jobId);
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start twice: the second is a no-op answering the same report", async () => {
  const engine = fakeEngine();
  const s = await setup(engine.run);
  try {
    const first = await (await s.handler(request("/v1/warm-start", { body: sampleSpec() }))).json();
    const res = await s.handler(request("/v1/warm-start", { body: sampleSpec() }));
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("x-warm-start-status"), "already_done");
    assertEquals(await res.json(), first);
    assertEquals(engine.calls.length, 1);
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start: two concurrent identical requests run the engine once", async () => {
  const engine = fakeEngine({ delayMs: 50 });
  const s = await setup(engine.run);
  try {
    const [a, b] = await Promise.all([
      s.handler(request("/v1/warm-start", { body: sampleSpec() })),
      s.handler(request("/v1/warm-start", { body: sampleSpec() })),
    ]);
    assertEquals([a.status, b.status], [200, 200]);
    assertEquals((await a.json()).output, (await b.json()).output);
    assertEquals(engine.calls.length, 1);
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start: a different job for a published output is 409", async () => {
  const s = await setup(fakeEngine().run);
  try {
    await (await s.handler(request("/v1/warm-start", { body: sampleSpec() }))).body?.cancel();
    const other = { ...sampleSpec(), vars_to_warm_start: "dense.*" };
    const res = await s.handler(request("/v1/warm-start", { body: other }));
    assertEquals(res.status, 409);
    assertEquals((await res.json()).error.type, "JobConflictError");
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start?dry_run=true answers the plan and writes nothing", async () => {
  const engine = fakeEngine();
  const s = await setup(engine.run);
  try {
    const res = await s.handler(request("/v1/warm-start?dry_run=true", { body: sampleSpec() }));
    assertEquals(res.status, 200);
    assertEquals((await res.json()).dryRun, true);
    assertEquals(res.headers.get("x-warm-start-status"), "dry_run");
    assertEquals(engine.calls[0].dryRun, true);
    assertEquals(await s.store.stat(markerLocation(`${s.dir}/merged/model.ckpt-1`)), undefined);
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start with Accept: application/x-ndjson streams progress then the report", async () => {
  const s = await setup(fakeEngine().run);
  try {
    const res = await s.handler(request("/v1/warm-start", {
      body: sampleSpec(),
      headers: { accept: "application/x-ndjson" },
    }));
    assertEquals(res.status, 200);
    assertEquals(res.headers.get("content-type"), "application/x-ndjson");
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines.map((l) => l.type), ["progress", "progress", "progress", "report"]);
    assertEquals(lines.map((l) => l.phase).slice(0, 3), ["plan", "write-data", "done"]);
    assertEquals(lines[1].bytesDone, 8);
    assertEquals(lines[3].status, "done");
    assertEquals(lines[3].report.output, `${s.dir}/merged/model.ckpt-1`);
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start NDJSON: a failure ends the stream with an error line", async () => {
  const s = await setup(
    fakeEngine({ error: () => new StorageError("slow down", { retryable: true }) }).run,
  );
  try {
    const res = await s.handler(request("/v1/warm-start", {
      body: sampleSpec(),
      headers: { accept: "application/x-ndjson" },
    }));
    const lines = (await res.text()).trim().split("\n").map((l) => JSON.parse(l));
    const last = lines.at(-1);
    assertEquals(last.type, "error");
    assertEquals(last.status, 503);
    assertEquals(last.error.retryable, true);
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start: invalid JSON and invalid specs are 400 naming the field", async () => {
  const engine = fakeEngine();
  const s = await setup(engine.run);
  try {
    const cases: Array<[unknown, string, RegExp]> = [
      ["{not json", "(body)", /Invalid JSON body/],
      ["", "(body)", /empty/],
      [[1, 2], "(root)", /expected a JSON object/],
      [{ ...sampleSpec(), output: undefined }, "output", /output: expected a string/],
      [{ ...sampleSpec(), outptu: "x" }, "outptu", /unknown field/],
      [{ ...sampleSpec(), vars_to_warm_start: 3 }, "vars_to_warm_start", /regex string/],
    ];
    for (const [body, field, message] of cases) {
      const res = await s.handler(request("/v1/warm-start", { method: "POST", body }));
      assertEquals(res.status, 400, JSON.stringify(body));
      const { error } = await res.json();
      assertEquals(error.type, "SettingsError");
      assertEquals(error.field, field);
      assertMatch(error.message, message);
    }
    assertEquals(engine.calls.length, 0);
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start: TF's ValueError cases are 422, storage faults 502/503", async () => {
  const cases: Array<[() => Error, number, boolean | undefined]> = [
    [
      () => new SettingsError("Vocab file must exist", { field: "var_name_to_vocab_info.w" }),
      422,
      undefined,
    ],
    [() => new StorageError("connection reset", { retryable: true }), 503, true],
    [() => new StorageError("access denied", { retryable: false, status: 403 }), 502, false],
    [() => new Error("boom"), 500, undefined],
  ];
  for (const [error, status, retryable] of cases) {
    const s = await setup(fakeEngine({ error }).run);
    try {
      const res = await s.handler(request("/v1/warm-start", { body: sampleSpec() }));
      assertEquals(res.status, status);
      const body = await res.json();
      assertEquals(body.error.retryable, retryable);
      if (status === 503) assertEquals(res.headers.get("retry-after"), "30");
      assertEquals(await s.store.stat(markerLocation(`${s.dir}/merged/model.ckpt-1`)), undefined);
    } finally {
      await s.cleanup();
    }
  }
});

Deno.test("POST /v1/warm-start: locations outside WARM_START_ALLOWED are 403, vocab files included", async () => {
  const engine = fakeEngine();
  const s = await setup(engine.run, { WARM_START_ALLOWED: "s3://models/prod/" });
  try {
    const ok = {
      ckpt_to_initialize_from: "s3://models/prod/old/",
      new_checkpoint: "s3://models/prod/new/model.ckpt-1",
      output: "s3://models/prod/merged/model.ckpt-1",
    };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...ok, output: "s3://other-bucket/merged/model.ckpt-1" }, "output"],
      [{ ...ok, ckpt_to_initialize_from: "s3://models/production/x" }, "ckpt_to_initialize_from"],
      [{ ...ok, new_checkpoint: "s3://models/prod/../staging/m" }, "new_checkpoint"],
      [{ ...ok, output: "/data/merged/model.ckpt-1" }, "output"],
      [{
        ...ok,
        var_name_to_vocab_info: {
          emb: {
            new_vocab: "s3://models/prod/vocab.txt",
            new_vocab_size: 3,
            num_oov_buckets: 0,
            old_vocab: "s3://secrets/vocab.txt",
          },
        },
      }, "var_name_to_vocab_info.emb.old_vocab"],
    ];
    for (const [body, field] of cases) {
      const res = await s.handler(request("/v1/warm-start", { body }));
      assertEquals(res.status, 403, field);
      const { error } = await res.json();
      assertEquals(error.type, "ForbiddenLocationError");
      assertEquals(error.field, field);
    }
    assertEquals(engine.calls.length, 0);
  } finally {
    await s.cleanup();
  }
});

Deno.test("POST /v1/warm-start: a body over WARM_START_MAX_BODY_BYTES is 413", async () => {
  const engine = fakeEngine();
  const s = await setup(engine.run, { WARM_START_MAX_BODY_BYTES: "64" });
  try {
    const big = { ...sampleSpec(), vars_to_warm_start: "x".repeat(100) };
    const res = await s.handler(request("/v1/warm-start", { body: big }));
    assertEquals(res.status, 413);
    assertEquals((await res.json()).error.type, "PayloadTooLargeError");
    // Without Content-Length (a stream) the limit holds too.
    const stream = ReadableStream.from([new TextEncoder().encode(JSON.stringify(big))]);
    const req = new Request("http://function.test/v1/warm-start", {
      method: "POST",
      body: stream,
      headers: { authorization: `Bearer ${s.config.token}` },
    });
    const res2 = await s.handler(req);
    assertEquals(res2.status, 413);
    await res2.body?.cancel();
    assertEquals(engine.calls.length, 0);
  } finally {
    await s.cleanup();
  }
});

Deno.test("unknown routes are 404 and wrong methods 405", async () => {
  const s = await setup(fakeEngine().run);
  try {
    const missing = await s.handler(request("/v2/nothing"));
    assertEquals(missing.status, 404);
    await missing.body?.cancel();
    const wrong = await s.handler(request("/v1/warm-start", { method: "GET" }));
    assertEquals(wrong.status, 405);
    assertEquals(wrong.headers.get("allow"), "POST");
    await wrong.body?.cancel();
    assert(s.logs.some((l) => l.msg === "request" && l.status === 405));
  } finally {
    await s.cleanup();
  }
});
