import assert from "node:assert/strict";
import { mapS3Error } from "../../lib/storage/s3_errors.ts";
import { StorageError } from "../../lib/storage/errors.ts";
import { runCli } from "./_main_process.ts";
import { TOKEN } from "./_setup.ts";

const JOB = { ckpt_to_initialize_from: "s3://m/prod/", output: "s3://m/warm/{new_name}" };
const schedule = (extra: Record<string, unknown>) => ({
  schedules: [{
    name: "nightly",
    schedule: "0 2 * * *",
    new_checkpoints_under: "s3://m/candidates/",
    job: JOB,
    ...extra,
  }],
});

Deno.test("serve: a misspelled WARM_START_CONFIG key or a bad cron string stops start-up, naming the schedule", async () => {
  const cases: [unknown, RegExp][] = [
    [
      schedule({ schedule: "0 25 * * *" }),
      /schedules\[0\] \("nightly"\)\.schedule: "0 25 \* \* \*": hour field "25"/,
    ],
    [
      schedule({ schedule: "every night" }),
      /\("nightly"\)\.schedule: "every night": expected 5 fields/,
    ],
    [schedule({ backof_schedule: [1000] }), /\("nightly"\): unknown key "backof_schedule"/],
    [
      schedule({ job: { ...JOB, ckpt_to_initalize_from: "x" } }),
      /\("nightly"\)\.job: unknown key "ckpt_to_initalize_from"/,
    ],
    [
      { watch: [{ prefix: "s3://m/c/", job: JOB, outptu: "x" }] },
      /watch\[0\] \(s3:\/\/m\/c\/\): unknown key "outptu"/,
    ],
    [{ schedule: [] }, /WARM_START_CONFIG: unknown key "schedule"/],
  ];
  for (const [config, re] of cases) {
    const r = await runCli(["serve"], {
      env: { WARM_START_TOKEN: TOKEN, WARM_START_CONFIG: JSON.stringify(config) },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /TypeError| {4}at /);
  }
});

Deno.test("S3 errors carry the server's request id", () => {
  const sdk = {
    name: "InternalError",
    message: "boom",
    $metadata: { httpStatusCode: 500, requestId: "REQ-42" },
  };
  const e = mapS3Error(sdk, { op: "GetObject", location: "s3://b/k" });
  assert.ok(e instanceof StorageError);
  assert.equal(e.requestId, "REQ-42");
  assert.equal(e.retryable, true);
  const missing = mapS3Error({
    ...sdk,
    name: "NoSuchKey",
    $metadata: { httpStatusCode: 404, requestId: "R2" },
  }, {
    op: "GetObject",
    location: "s3://b/k",
  });
  assert.equal((missing as StorageError).requestId, "R2");
});
