import assert from "node:assert/strict";
import { MAX_PARTS, MiB, MIN_PART_SIZE, PartSizer } from "../../lib/storage/part_size.ts";

const GiB = 1024 * MiB;

Deno.test("PartSizer: defaults, 5 MiB floor, hint, growth and equal parts", () => {
  assert.equal(new PartSizer().sizeFor(1), 5 * MiB);
  assert.equal(new PartSizer({ partSize: MiB }).sizeFor(1), MIN_PART_SIZE);
  // Growth without a hint: doubles every 1000 parts, capped at 5 GiB; fits > 4.8 TiB (S3's
  // largest object is 5 TiB: a size hint picks larger parts up front).
  const grow = new PartSizer();
  assert.equal(grow.sizeFor(1000), 5 * MiB);
  assert.equal(grow.sizeFor(1001), 10 * MiB);
  assert.equal(grow.sizeFor(MAX_PARTS), 5 * MiB * 512);
  assert.ok(grow.capacity() > 4.8 * 1024 * GiB);
  assert.ok(new PartSizer({ sizeHint: 5 * 1024 * GiB }).capacity() >= 5 * 1024 * GiB);
  // A 200 GiB hint needs ceil(200 GiB / 10000) = 20.48 MiB -> 21 MiB parts.
  const hinted = new PartSizer({ sizeHint: 200 * GiB, equalParts: true });
  assert.equal(hinted.sizeFor(1), 21 * MiB);
  assert.equal(hinted.sizeFor(9999), 21 * MiB);
  assert.ok(hinted.capacity() >= 200 * GiB);
  assert.equal(new PartSizer({ equalParts: true }).capacity(), 5 * MiB * MAX_PARTS);
  assert.throws(() => new PartSizer({ sizeHint: 60 * 1024 * GiB }), RangeError);
});
