/**
 * Checks a cron expression before it reaches Deno.cron, so a typo is a start-up ConfigError
 * naming the schedule instead of an uncaught TypeError: five fields (minute hour day-of-month
 * month day-of-week, UTC), each `*`, a number or name, a range `a-b`, a step `*\/n` or `a-b/n`,
 * or a comma-separated list of those.
 *
 * @module
 */

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day of week", min: 0, max: 7, names: DAYS },
];

function value(text: string, f: (typeof FIELDS)[number]): number | undefined {
  const named = f.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return f.name === "month" ? named + 1 : named;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= f.min && n <= f.max ? n : undefined;
}

/**
 * Why `expression` is not a valid 5-field cron expression, or undefined when it is.
 *
 * @param expression e.g. `0 2 * * *`
 * @returns the reason, for a ConfigError
 */
export function cronProblem(expression: string): string | undefined {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) {
    return `expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`;
  }
  for (let i = 0; i < 5; i++) {
    const f = FIELDS[i];
    for (const item of parts[i].split(",")) {
      const [range, step, extra] = item.split("/");
      if (extra !== undefined || (step !== undefined && !/^[1-9]\d*$/.test(step))) {
        return `bad step in ${f.name} field "${parts[i]}"`;
      }
      if (range === "*") continue;
      const [a, b, more] = range.split("-");
      const lo = value(a, f);
      const hi = b === undefined ? lo : value(b, f);
      if (more !== undefined || lo === undefined || hi === undefined || hi < lo) {
        return `${f.name} field "${parts[i]}" is not ${f.min}-${f.max}` +
          (f.names ? ` or a name (${f.names[0]}…)` : "");
      }
    }
  }
  return undefined;
}
