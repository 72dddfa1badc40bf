/**
 * Test harness for warm-start scenarios made by TensorFlow (tests/oracle/): runs our
 * engine on a scenario and compares with TF's own result, or with TF's error.
 */
import * as posix from "node:path/posix";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { readTensorBytes } from "../../lib/checkpoint/entry_reader.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import type { Store } from "../../lib/storage/store.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { type RunOptions, runWarmStart } from "../../lib/warmstart/run.ts";
import type { Report } from "../../lib/warmstart/types.ts";

/** Root of the committed ported scenarios. */
export const PORTED_ROOT = new URL("../fixtures/data/warmstart/", import.meta.url).pathname;

/** A scenario directory and what TF did with it. */
export interface Scenario {
  name: string;
  dir: string;
  spec: unknown;
  expectedError?: { error: string; message: string; when?: string };
}

/** Lists the scenarios under a root, sorted by name. */
export function listScenarios(root: string): Scenario[] {
  const out: Scenario[] = [];
  for (const e of Deno.readDirSync(root)) {
    if (!e.isDirectory) continue;
    const dir = posix.join(root, e.name);
    let spec: unknown;
    try {
      spec = JSON.parse(Deno.readTextFileSync(posix.join(dir, "spec.json")));
    } catch {
      continue;
    }
    let expectedError: Scenario["expectedError"];
    try {
      expectedError = JSON.parse(Deno.readTextFileSync(posix.join(dir, "expected_error.json")));
    } catch { /* a success scenario */ }
    out.push({ name: e.name, dir, spec, ...(expectedError ? { expectedError } : {}) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** Result of running our engine on a scenario. */
export interface Outcome {
  output: string;
  report?: Report;
  error?: Error;
}

/**
 * Runs a scenario with its output redirected under `outRoot` (more run options, e.g. a tuning
 * that forces a remap strategy, when given).
 */
export async function runScenario(
  s: Scenario,
  outRoot: string,
  dryRun = false,
  options: Partial<RunOptions> = {},
): Promise<Outcome> {
  const output = posix.join(outRoot, s.name, "model-0");
  try {
    const spec = { ...parseJobSpec(s.spec, { baseDir: s.dir }), output };
    const report = await runWarmStart(spec, { ...options, store: new FileStore(), dryRun });
    return { output, report };
  } catch (error) {
    return { output, error: error as Error };
  }
}

/**
 * Compares every tensor of our output with TF's expected checkpoint, byte for byte (via our
 * reader, which checks CRCs). Returns the differences.
 */
export async function compareWithExpected(
  s: Scenario,
  output: string,
  actualStore: Store = new FileStore(),
): Promise<string[]> {
  const store = new FileStore();
  const expected = await readBundleIndex(store, posix.join(s.dir, "expected", "model-0"));
  const actual = await readBundleIndex(actualStore, output);
  const diffs: string[] = [];
  const names = (idx: typeof expected) =>
    idx.variables().map((e) => new TextDecoder().decode(e.key));
  const exp = names(expected);
  const act = names(actual);
  if (exp.join("\n") !== act.join("\n")) diffs.push(`keys ${act} != expected ${exp}`);
  for (const e of expected.entries) {
    const a = actual.get(e.key);
    const name = new TextDecoder().decode(e.key);
    if (!a) {
      diffs.push(`missing ${JSON.stringify(name)}`);
      continue;
    }
    if (a.dtype !== e.dtype || a.shape.join() !== e.shape.join()) {
      diffs.push(`${name}: dtype/shape ${a.dtype} ${a.shape} != ${e.dtype} ${e.shape}`);
      continue;
    }
    if (e.slices.length > 0) continue;
    const [eb, ab] = await Promise.all([
      readTensorBytes(store, expected, e),
      readTensorBytes(actualStore, actual, a),
    ]);
    if (!bytesEqual(eb, ab)) diffs.push(`${name}: values differ`);
  }
  return diffs;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when `dir` holds no files at all (recursively). */
export function isEmptyTree(dir: string): boolean {
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile || !isEmptyTree(posix.join(dir, e.name))) return false;
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return true;
    throw e;
  }
  return true;
}

/**
 * Run options that force each remap strategy with a memory budget far below the scenarios'
 * tables (so windows, buckets and join partitions are many), by name.
 */
export const FORCED_STRATEGIES: Record<string, Partial<RunOptions>> = {
  runs: { tuning: { memoryBytes: 2048, strategy: "runs" } },
  memory: { tuning: { memoryBytes: 2048, strategy: "memory" } },
  buckets: { tuning: { memoryBytes: 2048, strategy: "buckets" } },
  chosen: { tuning: { memoryBytes: 2048 } },
  // Split into tasks of a few dozen bytes: every part of every shard a task of its own.
  split: { tuning: { memoryBytes: 2048 }, split: { taskBytes: 48 } },
};

/** Files a split job left in its job directory (`.warm_start/<name>.<plan id>/`). */
export function jobFilesLeft(output: string): string[] {
  const out: string[] = [];
  const dir = posix.join(posix.dirname(output), ".warm_start");
  const name = posix.basename(output);
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = posix.join(d, e.name);
      if (e.isDirectory) walk(p);
      else out.push(p);
    }
  };
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory && /^[0-9a-f]{16}$/.test(e.name.slice(name.length + 1))) {
        walk(posix.join(dir, e.name));
      }
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

/** Files under `<dir of output>/.warm_start/tmp` (a job's temporary area), recursively. */
export function temporaryFiles(output: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const e of entries) {
      const p = posix.join(dir, e.name);
      if (e.isDirectory) walk(p);
      else out.push(p);
    }
  };
  walk(posix.join(posix.dirname(output), ".warm_start", "tmp"));
  return out;
}

/** Copies a directory tree (scenarios are committed: tests that write next to inputs use a copy). */
export async function copyDir(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const [a, b] = [posix.join(from, e.name), posix.join(to, e.name)];
    if (e.isDirectory) await copyDir(a, b);
    else await Deno.copyFile(a, b);
  }
}
