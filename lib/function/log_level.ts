/**
 * `LOG_LEVEL`: the least severe level that is logged (debug, info, warn, error; default info).
 *
 * @module
 */
import { ConfigError } from "./errors.ts";
import type { Logger, LogLevel } from "./log.ts";

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/**
 * Reads `LOG_LEVEL`.
 *
 * @param value the variable's value
 * @returns the level (info when unset)
 * @throws ConfigError for an unknown level
 */
export function parseLogLevel(value: string | undefined): LogLevel {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "") return "info";
  if (v === "warning") return "warn";
  if (v in ORDER) return v as LogLevel;
  throw new ConfigError("LOG_LEVEL", `expected debug, info, warn or error, got "${value}"`);
}

/**
 * A logger that drops records below `min`.
 *
 * @param log the logger to filter
 * @param min the least severe level written
 * @returns the filtered logger
 */
export function atLevel(log: Logger, min: LogLevel): Logger {
  return (level, msg, fields) => {
    if (ORDER[level] >= ORDER[min]) log(level, msg, fields);
  };
}
