import assert from "node:assert/strict";
import { rowRuns, WASTE_FACTOR } from "../../lib/warmstart/row_runs.ts";

Deno.test("rowRuns() joins consecutive rows and small gaps", () => {
  assert.deepEqual(rowRuns([], 10), []);
  assert.deepEqual(rowRuns([3, 4, 5], 0), [[3, 3]]);
  assert.deepEqual(rowRuns([1, 2, 4, 5], 1), [[1, 5]]);
  assert.deepEqual(rowRuns([1, 2, 40, 41], 10), [[1, 2], [40, 2]]); // gap above maxGapRows
});

Deno.test("rowRuns() never reads more than (1 + WASTE_FACTOR) x the rows it needs", () => {
  // A shuffled vocabulary: every 37th row of a long table.
  const rows = Array.from({ length: 1000 }, (_, i) => i * 37);
  const runs = rowRuns(rows, 1_000_000);
  const read = runs.reduce((n, [, count]) => n + count, 0);
  assert.ok(read <= rows.length * (1 + WASTE_FACTOR), `read ${read} rows for ${rows.length}`);
  // Gaps within the budget are bridged: every 3rd row is one request.
  const dense = Array.from({ length: 1000 }, (_, i) => i * 3);
  assert.deepEqual(rowRuns(dense, 1_000_000), [[0, 2998]]);
  // Every needed row is inside exactly one run.
  for (const r of rows) {
    assert.equal(runs.filter(([s, c]) => s <= r && r < s + c).length, 1, `row ${r}`);
  }
});
