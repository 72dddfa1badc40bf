/**
 * Helpers of the integrity tests: sample and synthetic jobs in temp dirs, CLI runs that can be
 * killed, and checks of what an output directory holds (published files, leftovers).
 *
 * @module
 */
import * as posix from "node:path/posix";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { dataLocation, indexLocation } from "../../lib/checkpoint/naming.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import type { Store } from "../../lib/storage/store.ts";
import { writeSynthetic } from "../../bench/synthetic.ts";
import { MAIN, passThroughEnv, runCli } from "../function/_main_process.ts";

export { runCli };

const SAMPLE = new URL("../../docs/sample/", import.meta.url).pathname;

/** Copies the sample job (docs/sample) into `dir`; its spec is `dir/warm_start.json`. */
export async function copySample(dir: string): Promise<void> {
  for (const sub of ["old", "new"]) {
    await Deno.mkdir(`${dir}/${sub}`, { recursive: true });
    for (const e of Deno.readDirSync(`${SAMPLE}${sub}`)) {
      await Deno.copyFile(`${SAMPLE}${sub}/${e.name}`, `${dir}/${sub}/${e.name}`);
    }
  }
  await Deno.copyFile(`${SAMPLE}warm_start.json`, `${dir}/warm_start.json`);
  await Deno.copyFile(`${SAMPLE}expected.json`, `${dir}/expected.json`);
}

/** A synthetic job big enough to take a moment (an embedding remap plus dense copies). */
export async function syntheticJob(
  store: Store,
  dir: string,
  size: { vocab: number; dim: number; dense: number; denseMiB: number },
): Promise<string> {
  await writeSynthetic(store, dir, { ...size, orders: ["local"] });
  // These tests' layout: `spec.json`, writing `out/model-0`.
  const spec = JSON.parse(
    new TextDecoder().decode(await store.read(joinDir(dir, "spec_local.json"))),
  );
  const json = JSON.stringify({ ...spec, output: "out/model-0" }, null, 2);
  await store.put(joinDir(dir, "spec.json"), new TextEncoder().encode(json));
  return joinDir(dir, "spec.json");
}

function joinDir(dir: string, name: string): string {
  return dir.startsWith("s3://") ? `${dir.replace(/\/$/, "")}/${name}` : posix.join(dir, name);
}

/** Flips one byte of tensor `key` of the checkpoint at `prefix`, in its data shard. */
export async function flipTensorByte(prefix: string, key: string, at = 0): Promise<void> {
  const index = await readBundleIndex(new FileStore(), prefix);
  const e = index.get(key)!;
  const file = dataLocation(prefix, e.shardId, index.header.numShards);
  const bytes = await Deno.readFile(file);
  bytes[e.offset + at] ^= 0x01;
  await Deno.writeFile(file, bytes);
}

/** Every file below `dir` (relative paths, sorted); [] when it does not exist. */
export function filesBelow(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(d)];
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(posix.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, "");
  return out.sort();
}

/** Leftover temp files (staged uploads, half-written objects) below `dir`. */
export function tempFiles(dir: string): string[] {
  return filesBelow(dir).filter((f) => f.includes(".tmp-wsf-"));
}

/** The bytes of a checkpoint: index and every data shard, for byte-for-byte comparison. */
export async function checkpointBytes(store: Store, prefix: string): Promise<Uint8Array[]> {
  const index = await readBundleIndex(store, prefix);
  const n = index.header.numShards;
  return await Promise.all([
    store.read(indexLocation(prefix)),
    ...Array.from({ length: n }, (_, i) => store.read(dataLocation(prefix, i, n))),
  ]);
}

/** A CLI run that can be killed. */
export interface SpawnedCli {
  /** Kills the process (SIGKILL by default). */
  kill(signal?: Deno.Signal): void;
  /** Resolves once stderr has shown `text` (false if the process ended first). */
  waitFor(text: string): Promise<boolean>;
  /** Exit code (null after a signal) and output. */
  done: Promise<{ code: number; signal: Deno.Signal | null; stdout: string; stderr: string }>;
}

/** Starts `deno run -A main.ts ...args` without waiting for it. */
export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): SpawnedCli {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    cwd: options.cwd,
    env: {
      NO_COLOR: "1",
      PATH: Deno.env.get("PATH") ?? "",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      ...passThroughEnv(),
      ...options.env,
    },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const decoder = new TextDecoder();
  let stderr = "";
  let ended = false;
  const watchers: Array<{ text: string; resolve: (seen: boolean) => void }> = [];
  const notify = () => {
    for (const w of [...watchers]) {
      if (stderr.includes(w.text) || ended) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(stderr.includes(w.text));
      }
    }
  };
  const pump = (async () => {
    for await (const chunk of child.stderr) {
      stderr += decoder.decode(chunk, { stream: true });
      notify();
    }
  })();
  const stdout = new Response(child.stdout).text();
  const done = Promise.all([child.status, pump, stdout]).then(([status, , out]) => {
    ended = true;
    notify();
    return { code: status.code, signal: status.signal, stdout: out, stderr };
  });
  return {
    kill: (signal: Deno.Signal = "SIGKILL") => {
      try {
        child.kill(signal);
      } catch { /* already exited */ }
    },
    waitFor: (text) =>
      new Promise((resolve) => {
        watchers.push({ text, resolve });
        notify();
      }),
    done,
  };
}

/** The last JSON log line of a CLI run's stderr. */
export function lastLog(stderr: string): Record<string, unknown> {
  const lines = stderr.trim().split("\n").filter((l) => l.startsWith("{"));
  return JSON.parse(lines.at(-1) ?? "{}");
}
