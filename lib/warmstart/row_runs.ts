/**
 * Which OLD rows to read together for one chunk of a vocabulary remap: consecutive rows form a
 * run, and runs are joined across small gaps — smallest gaps first, each at most `maxGapRows`,
 * and never more than `WASTE_FACTOR` bridged (unneeded) rows per needed row, so a chunk reads at
 * most 1 + WASTE_FACTOR times its useful bytes however the vocabulary was shuffled: memory stays
 * bounded while a shuffled vocabulary still needs far fewer requests than rows.
 *
 * @module
 */

/** Unneeded rows read through per needed row, at most. */
export const WASTE_FACTOR = 4;

/** A run of rows: [first row, row count]. */
export type RowRun = [number, number];

/**
 * Read runs for the (sorted, distinct) rows `rows`.
 *
 * @param maxGapRows the largest gap ever read through
 */
export function rowRuns(rows: number[], maxGapRows: number): RowRun[] {
  const runs: RowRun[] = [];
  for (const r of rows) {
    const last = runs[runs.length - 1];
    if (last && r === last[0] + last[1]) last[1]++;
    else runs.push([r, 1]);
  }
  if (runs.length < 2) return runs;
  const gaps = runs.slice(1).map((run, i) => ({ i, rows: run[0] - (runs[i][0] + runs[i][1]) }));
  gaps.sort((a, b) => a.rows - b.rows);
  const join = new Uint8Array(runs.length - 1); // join[i]: runs i and i+1 are read as one
  let budget = rows.length * WASTE_FACTOR;
  for (const gap of gaps) {
    if (gap.rows > maxGapRows || gap.rows > budget) break;
    budget -= gap.rows;
    join[gap.i] = 1;
  }
  const merged: RowRun[] = [[...runs[0]]];
  for (let i = 1; i < runs.length; i++) {
    const last = merged[merged.length - 1];
    if (join[i - 1]) last[1] = runs[i][0] + runs[i][1] - last[0];
    else merged.push([...runs[i]]);
  }
  return merged;
}
