import assert from "node:assert/strict";
import { CLEANUP_CONCURRENCY, Limiter, settleEach } from "../../lib/storage/limiter.ts";
import { concurrencyProbe } from "../_stores.ts";

Deno.test("Limiter: never more than `limit` tasks at once", async () => {
  const lim = new Limiter(3);
  const probe = concurrencyProbe();
  await Promise.all(
    Array.from({ length: 20 }, (_, i) => lim.run(() => probe.run(() => Promise.resolve(), i % 3))),
  );
  assert.equal(probe.peak, 3);
  assert.equal(lim.active, 0);
});

Deno.test("settleEach: at most `limit` calls at once, every outcome in order, failures settled", async () => {
  const probe = concurrencyProbe();
  const items = Array.from({ length: 50 }, (_, i) => i);
  const results = await settleEach(items, (i) =>
    probe.run(() => {
      if (i % 7 === 3) return Promise.reject(new Error(`item ${i}`));
      return Promise.resolve(i * 2);
    }, i % 4));
  assert.equal(probe.peak, CLEANUP_CONCURRENCY);
  assert.equal(results.length, 50);
  results.forEach((r, i) => {
    if (i % 7 === 3) {
      assert.equal(r.status === "rejected" && (r.reason as Error).message, `item ${i}`);
    } else assert.deepEqual(r, { status: "fulfilled", value: i * 2 });
  });
  const two = await settleEach(new Set([1, 2, 3]), (i) => Promise.resolve(i), 1);
  assert.deepEqual(two.map((r) => r.status === "fulfilled" && r.value), [1, 2, 3]);
});
