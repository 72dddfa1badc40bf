import assert from "node:assert/strict";
import { Limiter } from "../../lib/storage/limiter.ts";

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
