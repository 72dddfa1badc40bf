/**
 * Parses and validates the JSON job spec (the same object for the CLI, the HTTP body and stored
 * job files) into a {@link JobSpec}. Problems with the JSON's shape are SettingsError("spec").
 *
 * @module
 */
import { SpecError } from "./errors.ts";
import { checkSpecLocation } from "./spec_locations.ts";
import { checkPatternLength } from "./python_regex.ts";
import { joinLocation } from "../storage/mod.ts";
import type { BackupInitializer, JobSpec, VarsToWarmStart, VocabInfo } from "./types.ts";
import { JOB_SPEC_FIELDS, VOCAB_INFO_FIELDS } from "./spec_fields.ts";

// Field names, required fields and defaults come from the one table the JSON Schema is built from.
const TOP_LEVEL_FIELDS = new Set(Object.keys(JOB_SPEC_FIELDS));
const VOCAB_FIELDS = new Set(Object.keys(VOCAB_INFO_FIELDS));

/** A VocabInfo integer: required, or its default, as the field table says. */
function vocabInteger(obj: Record<string, unknown>, field: string, path: string): number {
  const f = VOCAB_INFO_FIELDS[field];
  return requireInteger(
    obj,
    field,
    `${path}.${field}`,
    f.required ? undefined : f.schema.default as number,
  );
}

/** Options for {@link parseJobSpec}. */
export interface ParseOptions {
  /** Relative locations are resolved against this directory (the spec file's own directory). */
  baseDir?: string;
}

/** Text from the request as quoted in errors: at most 200 characters of it. */
function clipped(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 200)}… (${text.length} characters)`;
}

function fail(field: string, reason: string): never {
  throw new SpecError(`Invalid job spec: ${clipped(field)}: ${reason}`, { field: clipped(field) });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function requireString(obj: Record<string, unknown>, field: string, path: string): string {
  const value = obj[field];
  if (typeof value !== "string") fail(path, `expected a string, got ${describe(value)}`);
  return value;
}

function requireInteger(
  obj: Record<string, unknown>,
  field: string,
  path: string,
  fallback?: number,
): number {
  const value = obj[field];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value)) {
    fail(path, `expected an integer, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing (the field is required)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object"
    ? "an object"
    : `${typeof value} ${clipped(JSON.stringify(value) ?? String(value))}`;
}

function checkKnownFields(obj: Record<string, unknown>, known: Set<string>, path: string): void {
  for (const key of Object.keys(obj)) {
    if (!known.has(key)) {
      fail(path === "" ? key : `${path}.${key}`, `unknown field (expected one of ${[...known]})`);
    }
  }
}

/** Most characters of all `vars_to_warm_start` regexes of one spec together (each compiles). */
export const MAX_PATTERNS_LENGTH = 16 * 1024;

function parseVarsToWarmStart(value: unknown): VarsToWarmStart {
  if (value === undefined) return { kind: "regex", pattern: ".*" };
  if (value === null) return { kind: "none" };
  if (typeof value === "string") {
    checkPatternLength(value);
    return { kind: "regex", pattern: value };
  }
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === "string")) {
      const types = value.map((v) => (v === null ? "null" : typeof v));
      throw new SpecError(
        "If `vars_to_warm_start` is a list, it must be all `Variable` or all `str`.  " +
          `Given types are [${types.join(", ")}]`,
        { field: "vars_to_warm_start" },
      );
    }
    for (const p of value as string[]) checkPatternLength(p);
    const total = (value as string[]).reduce((n, p) => n + p.length, 0);
    if (total > MAX_PATTERNS_LENGTH) {
      fail(
        "vars_to_warm_start",
        `the regexes have ${total} characters, more than ${MAX_PATTERNS_LENGTH}`,
      );
    }
    return { kind: "regex_list", patterns: value as string[] };
  }
  if (isRecord(value)) {
    checkKnownFields(value, new Set(["variables"]), "vars_to_warm_start");
    const names = value.variables;
    if (!Array.isArray(names) || !names.every((v) => typeof v === "string")) {
      fail("vars_to_warm_start.variables", "expected a list of variable names");
    }
    return { kind: "variables", names: names as string[] };
  }
  fail(
    "vars_to_warm_start",
    'expected a regex string, a list of regex strings, {"variables": [names]} or null',
  );
}

function parseBackup(value: unknown, path: string): BackupInitializer {
  if (value === undefined || value === null || value === "zeros") return "zeros";
  if (value === "new") return "new";
  if (isRecord(value)) {
    checkKnownFields(value, new Set(["constant"]), path);
    const c = value.constant;
    if (typeof c === "number" && Number.isFinite(c)) return { constant: c };
  }
  fail(path, `expected "zeros", "new" or {"constant": <number>}, got ${describe(value)}`);
}

function parseVocabInfo(
  value: unknown,
  path: string,
  resolve: (location: string) => string,
): VocabInfo {
  if (!isRecord(value)) fail(path, `expected an object, got ${describe(value)}`);
  checkKnownFields(value, VOCAB_FIELDS, path);
  const axis = vocabInteger(value, "axis", path);
  if (axis !== 0 && axis !== 1) {
    throw new SpecError(
      `The only supported values for the axis argument are 0 and 1.  Provided axis: ${axis}`,
      { field: `${path}.axis` },
    );
  }
  const vocabLocation = (field: string) => {
    const text = requireString(value, field, `${path}.${field}`);
    checkSpecLocation(`${path}.${field}`, text, "input");
    return resolve(text);
  };
  return {
    newVocab: vocabLocation("new_vocab"),
    newVocabSize: vocabInteger(value, "new_vocab_size", path),
    numOovBuckets: vocabInteger(value, "num_oov_buckets", path),
    oldVocab: vocabLocation("old_vocab"),
    oldVocabSize: vocabInteger(value, "old_vocab_size", path),
    backupInitializer: parseBackup(value.backup_initializer, `${path}.backup_initializer`),
    axis,
  };
}

/**
 * Validates a parsed JSON value as a job spec.
 *
 * @param json the JSON value (already parsed)
 * @param options `baseDir` to resolve relative locations against
 * @returns the spec with every location resolved
 * @throws SettingsError (kind "spec") naming the field and the reason
 */
export function parseJobSpec(json: unknown, options: ParseOptions = {}): JobSpec {
  if (!isRecord(json)) fail("(root)", `expected a JSON object, got ${describe(json)}`);
  checkKnownFields(json, TOP_LEVEL_FIELDS, "");
  const resolve = (location: string) => {
    if (location === "") return location;
    return options.baseDir === undefined ? location : joinLocation(options.baseDir, location);
  };
  const location = (field: string) => {
    const value = requireString(json, field, field);
    if (value === "") fail(field, "must not be empty");
    checkSpecLocation(field, value, field === "output" ? "output" : "input");
    return resolve(value);
  };
  const flag = (field: string): boolean | undefined => {
    const value = json[field];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== "boolean") fail(field, `expected true or false, got ${describe(value)}`);
    return value;
  };

  const vocabRaw = json.var_name_to_vocab_info ?? {};
  if (!isRecord(vocabRaw)) fail("var_name_to_vocab_info", "expected an object {name: VocabInfo}");
  const varNameToVocabInfo: Record<string, VocabInfo> = {};
  for (const [name, info] of Object.entries(vocabRaw)) {
    varNameToVocabInfo[name] = parseVocabInfo(info, `var_name_to_vocab_info.${name}`, resolve);
  }

  const prevRaw = json.var_name_to_prev_var_name ?? {};
  if (!isRecord(prevRaw)) fail("var_name_to_prev_var_name", "expected an object {new: old}");
  const varNameToPrevVarName: Record<string, string> = {};
  for (const [name, prev] of Object.entries(prevRaw)) {
    if (typeof prev !== "string") {
      fail(`var_name_to_prev_var_name.${name}`, `expected a string, got ${describe(prev)}`);
    }
    varNameToPrevVarName[name] = prev;
  }

  let trainableVariables: string[] | undefined;
  if (json.trainable_variables !== undefined && json.trainable_variables !== null) {
    const t = json.trainable_variables;
    if (!Array.isArray(t) || !t.every((v) => typeof v === "string")) {
      fail("trainable_variables", "expected a list of variable names");
    }
    trainableVariables = t as string[];
  }

  return {
    ckptToInitializeFrom: location("ckpt_to_initialize_from"),
    newCheckpoint: location("new_checkpoint"),
    output: location("output"),
    varsToWarmStart: parseVarsToWarmStart(json.vars_to_warm_start),
    varNameToVocabInfo,
    varNameToPrevVarName,
    ...(trainableVariables ? { trainableVariables } : {}),
    ...(flag("overwrite") ? { overwrite: true } : {}),
    ...(flag("strict") ? { strict: true } : {}),
  };
}
