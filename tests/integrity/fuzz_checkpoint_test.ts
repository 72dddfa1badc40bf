/**
 * Fuzzed checkpoints: the sample job's OLD index, data shard and `checkpoint` state file, and
 * NEW's `.meta`, mutated with a fixed seed (flipped, inserted and deleted bytes, truncations,
 * spliced spans). Every outcome is a success or a typed error (never a TypeError, RangeError or a
 * hang), and TF's verdict is matched: where TensorFlow cannot read the checkpoint we refuse it
 * too, where it reads every tensor so do we, with the same values. More seeds:
 * WARM_START_FUZZ_SEEDS=0-3999 deno task test:fuzz.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { CheckpointError } from "../../lib/checkpoint/errors.ts";
import { displayKey } from "../../lib/checkpoint/keys.ts";
import { readTensor } from "../../lib/checkpoint/slice_reader.ts";
import { resolveCheckpointPrefix } from "../../lib/checkpoint/state_file.ts";
import { StorageError } from "../../lib/storage/errors.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { JobConflictError, SettingsError } from "../../lib/warmstart/errors.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { runPython } from "../warmstart/_python.ts";
import { copySample } from "./_jobs.ts";

const SEEDS = Deno.env.get("WARM_START_FUZZ_SEEDS") ?? "0-59";
const store = new FileStore();

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TARGETS = [
  "old/model.ckpt-100.index",
  "old/model.ckpt-100.index",
  "old/model.ckpt-100.data-00000-of-00001",
  "old/checkpoint",
  "new/model.ckpt-1.meta",
];

/** One seeded mutation of `bytes`. */
function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const at = () => Math.floor(random() * Math.max(1, bytes.length));
  const pick = Math.floor(random() * 6);
  const out = bytes.slice();
  switch (pick) {
    case 0: // flip 1-4 bytes
      for (let i = 0, n = 1 + Math.floor(random() * 4); i < n; i++) {
        out[at()] ^= 1 << Math.floor(random() * 8);
      }
      return out;
    case 1: // set a byte to an extreme
      out[at()] = random() < 0.5 ? 0xff : 0x00;
      return out;
    case 2: // truncate
      return bytes.slice(0, at());
    case 3: { // insert random bytes
      const i = at();
      const extra = Uint8Array.from(
        { length: 1 + Math.floor(random() * 8) },
        () => Math.floor(random() * 256),
      );
      return new Uint8Array([...bytes.subarray(0, i), ...extra, ...bytes.subarray(i)]);
    }
    case 4: { // delete a span
      const i = at();
      return new Uint8Array([
        ...bytes.subarray(0, i),
        ...bytes.subarray(i + 1 + Math.floor(random() * 8)),
      ]);
    }
    default: { // splice a copy of one span over another
      const from = at();
      const to = at();
      const n = Math.min(1 + Math.floor(random() * 16), bytes.length - Math.max(from, to));
      if (n > 0) out.set(bytes.subarray(from, from + n), to);
      return out;
    }
  }
}

function typed(e: unknown): boolean {
  return e instanceof CheckpointError || e instanceof SettingsError || e instanceof StorageError ||
    e instanceof JobConflictError;
}

/** Our reading of the OLD checkpoint: every tensor's sha256, or the error. */
async function ours(
  dir: string,
): Promise<{ ok: true; values: Record<string, string> } | { ok: false; error: unknown }> {
  try {
    const prefix = await resolveCheckpointPrefix(store, `${dir}/old`);
    const index = await readBundleIndex(store, prefix);
    const values: Record<string, string> = {};
    for (const e of index.variables()) {
      values[displayKey(e.key)] = createHash("sha256").update(await readTensor(store, index, e.key))
        .digest("hex");
    }
    return { ok: true, values };
  } catch (error) {
    return { ok: false, error };
  }
}

Deno.test(`fuzz: seeds ${SEEDS} of mutated checkpoints -> typed errors only, TF's verdict matched`, async () => {
  const [first, last] = SEEDS.split("-").map(Number);
  const root = await Deno.makeTempDir({ prefix: "ws-fuzz-" });
  try {
    const cases: Array<{ seed: number; dir: string; target: string }> = [];
    for (let seed = first; seed <= last; seed++) {
      const random = rng(seed * 7919 + 1);
      const dir = `${root}/${seed}`;
      await copySample(dir);
      const target = TARGETS[seed % TARGETS.length];
      await Deno.writeFile(
        `${dir}/${target}`,
        mutate(await Deno.readFile(`${dir}/${target}`), random),
      );
      cases.push({ seed, dir, target });
    }
    const tf = JSON.parse(
      await runPython(
        "tests/oracle/tf_verdicts.py",
        JSON.stringify(cases.map((c) => `${c.dir}/old`)),
      ),
    ) as Array<{ ok: boolean; values?: Record<string, string>; error?: string }>;
    const problems: string[] = [];
    let refusedLikeTf = 0;
    for (const [i, c] of cases.entries()) {
      const where = `seed ${c.seed} (${c.target})`;
      const mine = await ours(c.dir);
      if (!mine.ok && !typed(mine.error)) problems.push(`${where}: untyped ${mine.error}`);
      const verdict = tf[i];
      if (!c.target.endsWith(".meta")) {
        if (!verdict.ok && mine.ok) {
          problems.push(`${where}: TF refuses (${verdict.error}), we read it`);
        }
        if (verdict.ok && !mine.ok) {
          problems.push(`${where}: TF reads it, we refuse: ${mine.error}`);
        }
        if (
          verdict.ok && mine.ok && JSON.stringify(verdict.values) !== JSON.stringify(mine.values)
        ) {
          problems.push(`${where}: values differ from TF's`);
        }
        if (!verdict.ok && !mine.ok) refusedLikeTf++;
      }
      // The job itself: a success or a typed error, nothing published on error.
      try {
        const json = JSON.parse(await Deno.readTextFile(`${c.dir}/warm_start.json`));
        await runWarmStart(parseJobSpec(json, { baseDir: c.dir }), { store });
      } catch (e) {
        if (!typed(e)) problems.push(`${where}: the job failed untyped: ${e}`);
        try {
          Deno.statSync(`${c.dir}/merged/model.ckpt-1.index`);
          problems.push(`${where}: published despite the error`);
        } catch { /* nothing published */ }
      }
    }
    console.log(`${cases.length} mutated checkpoints, ${refusedLikeTf} refused like TF`);
    assert.deepEqual(problems, []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
