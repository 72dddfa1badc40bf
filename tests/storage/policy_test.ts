/** Part sizing limits and retry backoff (pure). */
import assert from "node:assert/strict";
import { ObjectChangedError, StorageError } from "../../lib/errors.ts";
import { MAX_PARTS, MiB, MIN_PART_SIZE, PartSizer } from "../../lib/storage/part_size.ts";
import { backoffDelay, isTransient, retrying } from "../../lib/storage/retry.ts";
import { Limiter } from "../../lib/storage/limiter.ts";

const GiB = 1024 * MiB;

Deno.test("PartSizer: defaults, 5 MiB floor, hint, growth and equal parts", () => {
  assert.equal(new PartSizer().sizeFor(1), 8 * MiB);
  assert.equal(new PartSizer({ partSize: MiB }).sizeFor(1), MIN_PART_SIZE);
  // Growth without a hint: doubles every 1000 parts, capped at 5 GiB; fits > 5 TiB.
  const grow = new PartSizer();
  assert.equal(grow.sizeFor(1000), 8 * MiB);
  assert.equal(grow.sizeFor(1001), 16 * MiB);
  assert.equal(grow.sizeFor(MAX_PARTS), 8 * MiB * 512);
  assert.ok(grow.capacity() > 5 * 1024 * GiB);
  // A 200 GiB hint needs ceil(200 GiB / 10000) = 20.48 MiB -> 21 MiB parts.
  const hinted = new PartSizer({ sizeHint: 200 * GiB, equalParts: true });
  assert.equal(hinted.sizeFor(1), 21 * MiB);
  assert.equal(hinted.sizeFor(9999), 21 * MiB);
  assert.ok(hinted.capacity() >= 200 * GiB);
  assert.equal(new PartSizer({ equalParts: true }).capacity(), 8 * MiB * MAX_PARTS);
  assert.throws(() => new PartSizer({ sizeHint: 60 * 1024 * GiB }), RangeError);
});

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

Deno.test("Limiter: never more than `limit` tasks at once", async () => {
  const lim = new Limiter(3);
  let active = 0;
  let peak = 0;
  await Promise.all(Array.from({ length: 20 }, (_, i) =>
    lim.run(async () => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, i % 3));
      active--;
    })));
  assert.equal(peak, 3);
  assert.equal(lim.active, 0);
});
