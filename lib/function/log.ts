/**
 * Structured JSON log lines: one object per line with `time`, `level`, `msg` and fields such as
 * `job`, `phase`, `bytes`, `rate`, `durationMs`. Field names that look like secrets are redacted,
 * so a credential that slips into a field never reaches the log.
 *
 * @module
 */

/** Log severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Writes one structured line. */
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

const SECRET_FIELD = /token|secret|password|authorization|credential|access_?key/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELD.test(k) ? "[redacted]" : redact(v, depth + 1);
  }
  return out;
}

/**
 * A logger writing JSON lines through `write` (default: stderr, so the CLI's stdout stays the
 * report).
 *
 * @param write sink for one line (without newline)
 * @param now clock, injectable for tests
 */
export function createLogger(
  write: (line: string) => void = (line) => console.error(line),
  now: () => Date = () => new Date(),
): Logger {
  return (level, msg, fields = {}) => {
    const record = { time: now().toISOString(), level, msg, ...(redact(fields) as object) };
    write(JSON.stringify(record));
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = () => {};
