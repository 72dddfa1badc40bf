import assert from "node:assert/strict";
import { ObjectChangedError, StorageError } from "../../lib/storage/errors.ts";
import { backoffDelay, isTransient, retrying } from "../../lib/storage/retry.ts";

Deno.test("backoffDelay: full jitter, doubling, throttles wait longer, capped", () => {
  const e500 = new StorageError("x", { status: 500, retryable: true });
  const e503 = new StorageError("x", { status: 503, retryable: true });
  const max = () => 0.999999;
  assert.equal(backoffDelay(1, e500, { random: () => 0 }), 0);
  assert.equal(backoffDelay(1, e500, { random: max }), 99);
  assert.equal(backoffDelay(3, e500, { random: max }), 399);
  assert.equal(backoffDelay(1, e503, { random: max }), 999);
  assert.equal(backoffDelay(20, e503, { random: max, maxDelayMs: 5000 }), 4999);
});

Deno.test("retrying: retries transient errors only, up to the attempt limit", async () => {
  let calls = 0;
  const result = await retrying("op", () => {
    calls++;
    if (calls < 3) throw new StorageError("flaky", { status: 500, retryable: true });
    return Promise.resolve("ok");
  }, { baseDelayMs: 1 });
  assert.equal(result, "ok");
  assert.equal(calls, 3);
  calls = 0;
  await assert.rejects(
    retrying("op", () => {
      calls++;
      throw new StorageError("down", { status: 500, retryable: true });
    }, { baseDelayMs: 1, attempts: 4 }),
    /down/,
  );
  assert.equal(calls, 4);
  calls = 0;
  await assert.rejects(
    retrying("op", () => {
      calls++;
      throw new ObjectChangedError("changed");
    }, { baseDelayMs: 1 }),
    ObjectChangedError,
  );
  assert.equal(calls, 1);
  assert.equal(isTransient(new StorageError("denied", { status: 403 })), false);
});
