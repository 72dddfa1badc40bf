/** Range header formatting/parsing and coalescing arithmetic, including offsets above 2^32. */
import assert from "node:assert/strict";
import { coalesceRanges, splitRange } from "../../lib/storage/coalesce.ts";

const G4 = 2 ** 32;

Deno.test("coalesceRanges: merges within the gap and request cap, keeps input indexes", () => {
  const ranges = [
    { offset: 100, length: 10 },
    { offset: 0, length: 50 },
    { offset: 150, length: 10 }, // gap 40 from 110: merged at maxGap 50
    { offset: G4 + 10, length: 5 },
    { offset: G4, length: 4 }, // gap 6: merged
    { offset: 7, length: 0 }, // zero-length: no request
    { offset: 10, length: 20 }, // overlap inside [0,50)
  ];
  const reqs = coalesceRanges(ranges, { maxGap: 50, maxRequest: 1000 });
  assert.deepEqual(reqs, [
    { offset: 0, length: 160, members: [1, 6, 0, 2] },
    { offset: G4, length: 15, members: [4, 3] },
  ]);
  // The request cap splits groups.
  assert.deepEqual(
    coalesceRanges(ranges, { maxGap: 50, maxRequest: 100 }).map((r) => [r.offset, r.length]),
    [
      [0, 50],
      [100, 60],
      [G4, 15],
    ],
  );
  assert.deepEqual(
    coalesceRanges(ranges, { maxGap: 0, maxRequest: 1000 }).map((r) => [r.offset, r.length]),
    [
      [0, 50],
      [100, 10],
      [150, 10],
      [G4, 4],
      [G4 + 10, 5],
    ],
  );
});

Deno.test("coalesceRanges: a waste budget bounds bridged bytes, smallest gaps first", () => {
  // A shuffled vocabulary: every 37th 4-byte row of a long table, wanted in one batch.
  const rows = Array.from({ length: 1000 }, (_, i) => ({ offset: i * 37 * 4, length: 4 }));
  const reqs = coalesceRanges(rows, { maxGap: 1 << 20, maxRequest: 1 << 30, maxWaste: 4 });
  const read = reqs.reduce((n, r) => n + r.length, 0);
  assert.ok(read <= 4000 * (1 + 4), `read ${read} bytes for 4000`);
  assert.ok(reqs.length < 1000, "some gaps are bridged");
  // Every range is inside exactly one request.
  rows.forEach((r, i) => {
    const holders = reqs.filter((q) => q.members.includes(i));
    assert.equal(holders.length, 1);
    assert.ok(
      holders[0].offset <= r.offset && r.offset + r.length <= holders[0].offset + holders[0].length,
    );
  });
  // Gaps within the budget are all bridged: every 3rd row is one request.
  const dense = Array.from({ length: 1000 }, (_, i) => ({ offset: i * 12, length: 4 }));
  assert.deepEqual(
    coalesceRanges(dense, { maxGap: 1 << 20, maxRequest: 1 << 30, maxWaste: 4 })
      .map((r) => [r.offset, r.length]),
    [[0, 999 * 12 + 4]],
  );
  // Smallest gaps go first: with budget for one gap, the 1-byte gap is bridged, not the 5-byte.
  const three = [{ offset: 0, length: 2 }, { offset: 3, length: 2 }, { offset: 10, length: 2 }];
  assert.deepEqual(
    coalesceRanges(three, { maxGap: 100, maxRequest: 100, maxWaste: 1 / 6 })
      .map((r) => [r.offset, r.length]),
    [[0, 5], [10, 2]],
  );
});

Deno.test("splitRange: chunks cover the range exactly", () => {
  assert.deepEqual(splitRange({ offset: G4 - 5, length: 25 }, 10), [
    { offset: G4 - 5, length: 10 },
    { offset: G4 + 5, length: 10 },
    { offset: G4 + 15, length: 5 },
  ]);
  assert.deepEqual(splitRange({ offset: 3, length: 0 }, 10), []);
});
