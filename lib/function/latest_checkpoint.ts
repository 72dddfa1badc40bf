/**
 * The latest checkpoint under a directory, as `tf.train.latest_checkpoint` finds it: the
 * `checkpoint` state file's `model_checkpoint_path` (relative to the directory unless absolute)
 * when that checkpoint's `.index` exists; otherwise the `.index` with the highest step (then the
 * last name) among the directory's objects. The state file is read with its size capped and may
 * only name checkpoints on its own scheme and bucket (checkpoint/state_file.ts).
 *
 * @module
 */
import { MAX_STATE_FILE_BYTES, statePathLocation } from "../checkpoint/mod.ts";
import { joinLocation, ObjectNotFoundError, readCapped, type Store } from "../storage/mod.ts";

/** `model_checkpoint_path` from the text of a TF `checkpoint` state file, if present. */
export function modelCheckpointPath(stateText: string): string | undefined {
  const m = /^\s*model_checkpoint_path\s*:\s*"((?:[^"\\]|\\.)*)"/m.exec(stateText);
  return m ? m[1].replace(/\\(.)/g, "$1") : undefined;
}

function stepOf(prefix: string): number {
  const m = /-(\d+)$/.exec(prefix);
  return m ? Number(m[1]) : -1;
}

/**
 * The latest checkpoint prefix under `dir`, or undefined when there is none.
 *
 * @param store where to look
 * @param dir a directory location (`s3://bucket/dir` or a local path)
 */
export async function latestCheckpoint(store: Store, dir: string): Promise<string | undefined> {
  const base = dir.replace(/\/+$/, "");
  try {
    const bytes = await readCapped(
      store,
      joinLocation(base, "checkpoint"),
      MAX_STATE_FILE_BYTES,
      "Checkpoint state file",
    );
    const path = modelCheckpointPath(new TextDecoder().decode(bytes));
    if (path !== undefined) {
      const prefix = statePathLocation(base, path);
      if (await store.stat(`${prefix}.index`)) return prefix;
    }
  } catch (e) {
    if (!(e instanceof ObjectNotFoundError)) throw e;
  }
  const listed = await store.list(`${base}/`);
  const prefixes = listed
    .filter((l) => l.endsWith(".index") && !l.slice(base.length + 1).includes("/"))
    .map((l) => l.slice(0, -".index".length));
  prefixes.sort((a, b) => stepOf(a) - stepOf(b) || (a < b ? -1 : a > b ? 1 : 0));
  return prefixes.at(-1);
}
