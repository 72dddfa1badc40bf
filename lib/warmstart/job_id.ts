/**
 * A job's identity: a hash of its canonical (key-sorted) parsed spec. Two triggers that name the
 * same job get the same id, whichever route they came by.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { JobSpec } from "./types.ts";

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

/** 16 hex digits of SHA-256 over the canonical spec. */
export function jobIdOf(spec: JobSpec): string {
  return createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, 16);
}
