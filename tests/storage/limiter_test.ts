import assert from "node:assert/strict";
import { CLEANUP_CONCURRENCY, Limiter, settleEach } from "../../lib/storage/limiter.ts";

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

Deno.test("settleEach: at most `limit` calls at once, every outcome in order, failures settled", async () => {
  let active = 0;
  let peak = 0;
  const items = Array.from({ length: 50 }, (_, i) => i);
  const results = await settleEach(items, async (i) => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, i % 4));
    active--;
    if (i % 7 === 3) throw new Error(`item ${i}`);
    return i * 2;
  });
  assert.equal(peak, CLEANUP_CONCURRENCY);
  assert.equal(results.length, 50);
  results.forEach((r, i) => {
    if (i % 7 === 3) {
      assert.equal(r.status === "rejected" && (r.reason as Error).message, `item ${i}`);
    } else assert.deepEqual(r, { status: "fulfilled", value: i * 2 });
  });
  const two = await settleEach(new Set([1, 2, 3]), (i) => Promise.resolve(i), 1);
  assert.deepEqual(two.map((r) => r.status === "fulfilled" && r.value), [1, 2, 3]);
});
