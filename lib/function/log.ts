/**
 * Structured JSON log lines: one object per line with `time`, `level`, `msg` and fields such as
 * `job`, `phase`, `bytes`, `rate`, `durationMs`. Field names that look like secrets are redacted,
 * and every string is redacted by pattern and by value (storage/redact.ts: SigV4 credentials,
 * session tokens, resolved credential values) and clipped to 4 KiB, so neither a credential nor
 * a megabyte of request input that slips into a field or a message reaches the log.
 *
 * @module
 */
import { redactSecrets } from "../storage/mod.ts";

/** Log severity. */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** Writes one structured line. */
export type Logger = (level: LogLevel, msg: string, fields?: Record<string, unknown>) => void;

const SECRET_FIELD = /token|secret|password|authorization|credential|access_?key/i;

/** Longest string logged. */
const MAX_STRING = 4096;

function text(value: string): string {
  const redacted = redactSecrets(value);
  return redacted.length <= MAX_STRING ? redacted : `${redacted.slice(0, MAX_STRING)}… (clipped)`;
}

function redact(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return text(value);
  if (depth > 4 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { name: value.name, message: text(String(value.message)) };
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
    const record = {
      time: now().toISOString(),
      level,
      msg: text(msg),
      ...(redact(fields) as object),
    };
    write(JSON.stringify(record));
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = () => {};
