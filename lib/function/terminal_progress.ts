/**
 * What a person at a terminal sees while a job runs: one line per phase (resolve, plan,
 * write-data, write-index, publish), the running one redrawn in place as a bar with bytes, rate
 * and ETA; log lines printed above it; and, at the end, a short summary of the report (what was
 * warm-started, remapped, kept; vocabulary match rates). Off a terminal the CLI logs JSON lines
 * instead (cli.ts).
 *
 * @module
 */
import type { ProgressEvent, Report } from "../warmstart/mod.ts";

/** A human byte count: `512 B`, `1.5 KiB`, `800.0 MiB`. */
export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** A human duration: `850ms`, `12s`, `3m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Options of {@link createProgressView}. */
export interface ProgressViewOptions {
  /** Writes text as it is (no newline added). */
  write: (text: string) => void;
  /** Redraw the running line in place (a terminal) or print a line every few seconds. */
  live: boolean;
  /** Clock in ms. */
  now?: () => number;
  /** Columns of the terminal (bar width adapts). */
  columns?: number;
  /** Off a terminal: at most one line per phase this often (ms, default 3000). */
  plainEveryMs?: number;
}

/** The view: feed it progress events and log lines; `finish` ends the last phase's line. */
export interface ProgressView {
  /** A progress event of the job. */
  event(e: ProgressEvent): void;
  /** A log line, printed above the running line. */
  line(text: string): void;
  /** Ends the running line (marked done, or failed). */
  finish(ok: boolean): void;
}

const PHASES: Record<string, string> = {
  resolve: "resolve",
  plan: "plan",
  "write-data": "write data",
  "write-index": "write index",
  publish: "publish",
};

/**
 * Creates the terminal view (see module doc).
 *
 * @param options sink, live or plain, clock, width
 * @returns the view
 */
export function createProgressView(options: ProgressViewOptions): ProgressView {
  const now = options.now ?? (() => performance.now());
  const every = options.plainEveryMs ?? 3000;
  let current:
    | { phase: string; started: number; last?: ProgressEvent; printed: number }
    | undefined;
  let drawn = false;

  function render(state: NonNullable<typeof current>, mark: string): string {
    const label = `${mark} ${(PHASES[state.phase] ?? state.phase).padEnd(11)}`;
    const e = state.last;
    const elapsed = now() - state.started;
    if (e?.bytesTotal === undefined || e.bytesDone === undefined) {
      return `${label} ${mark === " " ? "" : formatDuration(elapsed)}`.trimEnd();
    }
    const total = Math.max(e.bytesTotal, 1);
    const fraction = Math.min(1, e.bytesDone / total);
    const width = Math.max(10, Math.min(30, (options.columns ?? 80) - 60));
    const filled = Math.round(fraction * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    const rate = elapsed > 0 ? e.bytesDone / (elapsed / 1000) : 0;
    const eta = rate > 0 ? formatDuration(((e.bytesTotal - e.bytesDone) / rate) * 1000) : "?";
    const tail = mark === " " ? `ETA ${eta}` : formatDuration(elapsed);
    return `${label} ${bar} ${String(Math.floor(fraction * 100)).padStart(3)}% ` +
      `${formatBytes(e.bytesDone)} / ${formatBytes(e.bytesTotal)}  ${formatBytes(rate)}/s  ${tail}`;
  }

  function draw(mark: string, end: boolean): void {
    if (!current) return;
    const text = render(current, mark);
    if (options.live) {
      options.write(`\r\x1b[2K${text}${end ? "\n" : ""}`);
      drawn = !end;
    } else if (end || now() - current.printed >= every) {
      options.write(`${text}\n`);
      current.printed = now();
    }
  }

  return {
    event(e) {
      if (e.phase === "done") return;
      if (current && current.phase !== e.phase) draw("✓", true);
      if (!current || current.phase !== e.phase) {
        current = { phase: e.phase, started: now(), printed: options.live ? 0 : -Infinity };
      }
      // Byte counts stay with the phase; events without them (messages) keep the last counts.
      if (e.bytesDone !== undefined || current.last === undefined) current.last = e;
      draw(" ", false);
    },
    line(text) {
      if (options.live && drawn) options.write("\r\x1b[2K");
      options.write(`${text}\n`);
      if (options.live && drawn) draw(" ", false);
    },
    finish(ok) {
      draw(ok ? "✓" : "✗", true);
      current = undefined;
    },
  };
}

function list(names: string[], max = 6): string {
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown}, … (+${names.length - max} more)` : shown;
}

/**
 * A short human summary of a report: what was warm-started (copied, remapped with vocabulary
 * match rates) and what was kept from NEW.
 *
 * @param report the job's report
 * @returns lines of text (ending with a newline)
 */
export function summarizeReport(report: Report): string {
  const t = report.totals;
  const by = (a: string) => report.variables.filter((v) => v.action === a);
  const lines = [
    `${report.dryRun ? "Plan for" : "Wrote"} ${report.output}: ${t.variables} variables, ` +
    `${t.warmStarted} warm-started from ${report.oldPrefix}, ${t.kept} kept from ${report.newPrefix}` +
    (report.dryRun
      ? ""
      : ` (${formatBytes(t.bytesWritten)}, ${formatBytes(t.bytesFromOld)} from OLD, ` +
        `${formatDuration(report.durationMs)})`),
  ];
  const copied = by("copy");
  if (copied.length > 0) {
    lines.push(`  copied    ${copied.length}: ${list(copied.map((v) => v.name))}`);
  }
  for (const v of by("remap")) {
    const s = v.vocab!;
    const all = s.matched + s.new + s.oov;
    const rate = all > 0 ? ((100 * s.matched) / all).toFixed(1) : "0.0";
    const what = s.axis === 0 ? "rows" : "columns";
    lines.push(
      `  remapped  ${v.name}: ${s.matched} of ${all} ${what} from OLD (${rate}% matched), ` +
        `${s.new} new, ${s.oov} OOV`,
    );
  }
  const kept = by("keep");
  if (kept.length > 0) lines.push(`  kept      ${kept.length}: ${list(kept.map((v) => v.name))}`);
  return lines.join("\n") + "\n";
}
