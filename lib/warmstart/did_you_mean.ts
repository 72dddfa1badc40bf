/**
 * "Did you mean …?" for names: the closest candidate within a small edit distance (or equal but
 * for case), so a typo in a setting points at the name the user meant instead of leaving them
 * with TF's long list of viable names.
 *
 * @module
 */

/** Levenshtein distance, bounded: returns `limit + 1` as soon as it is exceeded. */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost);
      best = Math.min(best, row[j]);
    }
    if (best > limit) return limit + 1;
    prev = row;
  }
  return prev[b.length];
}

/**
 * The candidate `name` most likely meant, if one is close enough.
 *
 * @param name the name given
 * @param candidates the names that exist
 * @returns the suggestion, or undefined
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.floor(name.length / 4)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const c of candidates) {
    if (c === name) return undefined;
    const d = c.toLowerCase() === name.toLowerCase() ? 0.5 : distance(name, c, limit);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/**
 * A sentence suggesting the closest candidate for each name, or "".
 *
 * @param names the names given
 * @param candidates the names that exist
 * @returns ` Did you mean "x" for "y"?` or ""
 */
export function suggest(names: string[], candidates: string[]): string {
  const pairs = names.flatMap((n) => {
    const c = closest(n, candidates);
    return c === undefined ? [] : [`"${c}" for "${n}"`];
  });
  return pairs.length > 0 ? ` Did you mean ${pairs.join(", ")}?` : "";
}
