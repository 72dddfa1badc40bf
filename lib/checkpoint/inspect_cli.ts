/**
 * `deno task inspect <checkpoint dir or prefix> [--json] [--verify]`: lists the variables of a
 * checkpoint like tf.train.list_variables (sorted by key, slice keys and header hidden). `--json`
 * prints `{"variables": [{"name", "dtype", "shape", "bytes", "shard", "slices"}]}`; `--verify` also
 * reads every tensor and checks its CRC32C (and string length checksums). Errors: one line on
 * stderr, exit 1 (2 for usage errors).
 *
 * @module
 */
import type { Store } from "../storage/store.ts";
import { resolveCheckpointPrefix } from "./state_file.ts";
import { type BundleIndex, readBundleIndex } from "./bundle_index.ts";
import { readTensor, readTensorBytes } from "./tensor_reader.ts";
import { DT_STRING, dtypeName, numElements } from "./dtype.ts";
import { displayKey } from "./keys.ts";
import { decodeStringTensor } from "./string_tensor.ts";
import type { BundleEntry } from "./types.ts";

/** One listed variable. */
export interface InspectedVariable {
  name: string;
  dtype: string;
  shape: number[];
  /** Stored bytes (sum over slices for a partitioned tensor). */
  bytes: number;
  /** Data shard of the bytes; for a partitioned tensor the distinct shards of its slices. */
  shard: number | number[];
  /** Number of slices (0 for a plain tensor). */
  slices: number;
}

/** The listing of an index (pure). */
export function listVariables(index: BundleIndex): InspectedVariable[] {
  return index.variables().map((e) => {
    const parts = e.slices.map((s) => index.getSlice(e.key, s)).filter((x): x is BundleEntry =>
      !!x
    );
    return {
      name: displayKey(e.key),
      dtype: dtypeName(e.dtype),
      shape: [...e.shape],
      bytes: e.slices.length ? parts.reduce((s, p) => s + p.size, 0) : e.size,
      shard: e.slices.length
        ? [...new Set(parts.map((p) => p.shardId))].sort((a, b) => a - b)
        : e.shardId,
      slices: e.slices.length,
    };
  });
}

/** Reads every tensor of the index, verifying sizes and checksums; throws on the first problem. */
export async function verifyTensors(store: Store, index: BundleIndex): Promise<number> {
  let n = 0;
  for (const e of index.variables()) {
    if (e.slices.length > 0) {
      // Reads and checks every slice, and the coverage of the full tensor where assemblable.
      for (const s of e.slices) {
        const se = index.getSlice(e.key, s);
        if (se) await readTensorBytes(store, index, se);
      }
      if (e.dtype !== DT_STRING) await readTensor(store, index, e.key);
    } else {
      const bytes = await readTensorBytes(store, index, e);
      if (e.dtype === DT_STRING) decodeStringTensor(bytes, numElements(e.shape), displayKey(e.key));
    }
    n++;
  }
  return n;
}

async function defaultStore(): Promise<Store> {
  const router = await import("../storage/router.ts");
  return router.defaultStore();
}

/** CLI entry: returns the exit code. */
export async function main(args: string[], store?: Store): Promise<number> {
  const flags = new Set(args.filter((a) => a.startsWith("--")));
  const positional = args.filter((a) => !a.startsWith("--"));
  const unknown = [...flags].filter((f) => f !== "--json" && f !== "--verify");
  if (positional.length !== 1 || unknown.length > 0) {
    console.error("usage: deno task inspect <checkpoint dir or prefix> [--json] [--verify]");
    return 2;
  }
  try {
    const s = store ?? await defaultStore();
    const prefix = await resolveCheckpointPrefix(s, positional[0]);
    const index = await readBundleIndex(s, prefix);
    const variables = listVariables(index);
    if (flags.has("--verify")) await verifyTensors(s, index);
    if (flags.has("--json")) {
      console.log(
        JSON.stringify({ variables }),
      );
    } else {
      for (const v of variables) console.log(`${v.name}\t${v.dtype}\t[${v.shape.join(", ")}]`);
      if (flags.has("--verify")) console.error(`verified ${variables.length} tensors`);
    }
    return 0;
  } catch (e) {
    const err = e as Error;
    console.error(`inspect: ${err.name}: ${String(err.message).replace(/\s*\n\s*/g, " ")}`);
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
