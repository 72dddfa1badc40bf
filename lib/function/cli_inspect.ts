/**
 * The `inspect` CLI commands: list a checkpoint like `tf.train.list_variables` (with TF's
 * "Total number of params"), print tensors like TF's `inspect_checkpoint --tensor_name`, verify
 * every CRC, and `inspect diff A B` (variables added, removed, reshaped, retyped, and equal or
 * different bytes by the CRC32C each index stores).
 *
 * @module
 */
import {
  type BundleEntry,
  type BundleIndex,
  displayKey,
  dtypeName,
  listVariables,
  numElements,
  readBundleIndex,
  readTensor,
  resolveCheckpointPrefix,
  verifyTensors,
} from "../checkpoint/mod.ts";
import { type JobStore, jobStore, type Store } from "../storage/mod.ts";
import { type CliStreams, denoStreams, errorText } from "./cli.ts";
import { decodeValues, formatArray } from "./numpy_format.ts";
import { loadConfig } from "./config.ts";
import { UsageError } from "./errors.ts";
import { outcomeOf } from "./outcome.ts";

/** What the inspect commands need. */
export interface InspectDeps {
  /** The base store. */
  store: Store;
  /** Output streams (default: Deno's). */
  streams?: CliStreams;
  /** Reads one environment variable (WARM_START_ALLOWED, caps; default Deno's). */
  env?: (name: string) => string | undefined;
}

/** The job store of an inspect run: WARM_START_ALLOWED and the index cap apply as to jobs. */
function inspectStore(deps: InspectDeps): { store: JobStore; maxIndexBytes: number } {
  const env = deps.env ?? ((name: string) => Deno.env.get(name));
  const config = loadConfig({ env, local: true, cwd: Deno.cwd() });
  const store = jobStore(deps.store, config.allowed ? { allowed: config.allowed } : {});
  return { store, maxIndexBytes: config.limits.maxIndexBytes };
}

async function open(
  { store, maxIndexBytes }: { store: Store; maxIndexBytes: number },
  location: string,
): Promise<BundleIndex> {
  const prefix = await resolveCheckpointPrefix(store, location);
  return await readBundleIndex(store, prefix, { maxBytes: maxIndexBytes });
}

/** TF's count: the product of every listed tensor's shape (inspect_checkpoint.py). */
function parameterCount(index: BundleIndex): number {
  return index.variables().reduce((n, e) => n + numElements(e.shape), 0);
}

/**
 * `inspect LOCATION [--json] [--verify] [--tensor NAME]...`.
 *
 * @param args the location and flags
 * @param deps the base store
 * @returns the exit code
 */
export async function cliInspect(
  args: { location: string; json: boolean; verify: boolean; tensors?: string[] },
  deps: InspectDeps,
): Promise<number> {
  const io = deps.streams ?? denoStreams();
  try {
    const checked = inspectStore(deps);
    const { store } = checked;
    const index = await open(checked, args.location);
    const variables = listVariables(index);
    if (args.verify) await verifyTensors(store, index);
    const tensors = args.tensors ?? [];
    const printed: Record<string, unknown> = {};
    for (const name of tensors) {
      const entry = index.get(name);
      if (!entry) {
        throw new UsageError(
          `inspect: no tensor ${name} in checkpoint ${index.prefix}`,
          "--tensor",
        );
      }
      const bytes = await readTensor(store, index, name);
      const values = decodeValues(bytes, dtypeName(entry.dtype));
      if (!values) {
        throw new UsageError(
          `inspect: tensor ${name} is ${dtypeName(entry.dtype)}, which --tensor cannot print`,
          "--tensor",
        );
      }
      if (args.json) printed[name] = values.data.map((v) => typeof v === "bigint" ? String(v) : v);
      else {
        const head = `tensor: ${name} (${dtypeName(entry.dtype)}) [${entry.shape.join(", ")}]`;
        io.out(`${head}\n${formatArray(values, entry.shape)}\n`);
      }
    }
    const total = parameterCount(index);
    if (args.json) {
      io.out(
        JSON.stringify({
          variables,
          parameters: total,
          ...(tensors.length > 0 ? { tensors: printed } : {}),
        }) + "\n",
      );
    } else {
      if (tensors.length === 0) {
        for (const v of variables) io.out(`${v.name}\t${v.dtype}\t[${v.shape.join(", ")}]\n`);
      }
      io.out(`# Total number of params: ${total}\n`);
    }
    if (args.verify) io.err(`verified ${variables.length} tensors\n`);
    return 0;
  } catch (e) {
    io.err(errorText(e));
    return outcomeOf(e).exitCode;
  }
}

/** What {@link diffCheckpoints} found. */
export interface CheckpointDiff {
  /** In B only. */
  added: string[];
  /** In A only. */
  removed: string[];
  /** In both, other shape. */
  reshaped: { name: string; a: number[]; b: number[] }[];
  /** In both, other dtype. */
  retyped: { name: string; a: string; b: string }[];
  /** Same dtype, shape and bytes (CRC32C of every stored entry). */
  equal: string[];
  /** Same dtype and shape, other bytes. */
  different: string[];
}

/** The CRC32Cs (and sizes) of a tensor's stored entries: itself, or each slice. */
function fingerprint(index: BundleIndex, e: BundleEntry): string {
  const parts = e.slices.length === 0
    ? [e]
    : e.slices.map((s) => index.getSlice(e.key, s)).filter((x): x is BundleEntry => !!x);
  return parts.map((p) => `${p.size}:${p.crc32c}`).join(",") + `|${e.slices.length}`;
}

/**
 * Compares two checkpoints by their indexes (no data is read).
 *
 * @param a the first index
 * @param b the second index
 * @returns what differs
 */
export function diffCheckpoints(a: BundleIndex, b: BundleIndex): CheckpointDiff {
  const name = (e: BundleEntry) => displayKey(e.key);
  const mapOf = (i: BundleIndex) => new Map(i.variables().map((e) => [name(e), e]));
  const [ma, mb] = [mapOf(a), mapOf(b)];
  const diff: CheckpointDiff = {
    added: [...mb.keys()].filter((k) => !ma.has(k)),
    removed: [...ma.keys()].filter((k) => !mb.has(k)),
    reshaped: [],
    retyped: [],
    equal: [],
    different: [],
  };
  for (const [k, ea] of ma) {
    const eb = mb.get(k);
    if (!eb) continue;
    if (ea.dtype !== eb.dtype) {
      diff.retyped.push({ name: k, a: dtypeName(ea.dtype), b: dtypeName(eb.dtype) });
    } else if (ea.shape.join() !== eb.shape.join()) {
      diff.reshaped.push({ name: k, a: [...ea.shape], b: [...eb.shape] });
    } else if (fingerprint(a, ea) === fingerprint(b, eb)) diff.equal.push(k);
    else diff.different.push(k);
  }
  return diff;
}

/**
 * `inspect diff A B [--json]`.
 *
 * @param args the two locations
 * @param deps the base store
 * @returns 0 (the checkpoints were compared, whatever they hold), or the error's exit code
 */
export async function cliInspectDiff(
  args: { a: string; b: string; json: boolean },
  deps: InspectDeps,
): Promise<number> {
  const io = deps.streams ?? denoStreams();
  try {
    const checked = inspectStore(deps);
    const [a, b] = await Promise.all([open(checked, args.a), open(checked, args.b)]);
    const d = diffCheckpoints(a, b);
    if (args.json) {
      io.out(JSON.stringify(d) + "\n");
      return 0;
    }
    const lines = [`--- ${a.prefix}`, `+++ ${b.prefix}`];
    for (const n of d.removed) lines.push(`- ${n}`);
    for (const n of d.added) lines.push(`+ ${n}`);
    for (const r of d.reshaped) {
      lines.push(`~ ${r.name}: shape [${r.a.join(", ")}] -> [${r.b.join(", ")}]`);
    }
    for (const r of d.retyped) lines.push(`~ ${r.name}: dtype ${r.a} -> ${r.b}`);
    for (const n of d.different) lines.push(`≠ ${n}: different bytes`);
    lines.push(
      `${d.equal.length} equal, ${d.different.length} different, ${d.added.length} added, ` +
        `${d.removed.length} removed, ${d.reshaped.length} reshaped, ${d.retyped.length} retyped`,
    );
    io.out(lines.join("\n") + "\n");
    return 0;
  } catch (e) {
    io.err(errorText(e));
    return outcomeOf(e).exitCode;
  }
}
