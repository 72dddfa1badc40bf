/**
 * The `checkpoint` state file (text-format `tensorflow.CheckpointState`, tensorflow/core/protobuf/checkpoint_state.proto): parse, format
 * like Python's text_format, and resolve a directory or prefix to a checkpoint prefix with the
 * semantics of tf.train.latest_checkpoint / load_checkpoint.
 *
 * @module
 */
import { CheckpointNotFoundError, CorruptCheckpointError } from "./errors.ts";
import {
  joinLocation,
  LocationNotAllowedError,
  ObjectNotFoundError,
  parseLocation,
  readCapped,
  type ReadOptions,
  type Store,
} from "../storage/mod.ts";
import { indexLocation } from "./naming.ts";
import { refuseKerasFile } from "./keras_file.ts";

/** Name of the state file in a checkpoint directory. */
export const STATE_FILE_NAME = "checkpoint";

/**
 * Largest `checkpoint` state file read (1 MiB): TF writes a few lines per kept checkpoint, so
 * real ones are a few KiB; a larger one is refused before it is read.
 */
export const MAX_STATE_FILE_BYTES = 1024 * 1024;

/** CheckpointState. Paths are as written (relative paths are relative to the file's directory). */
export interface CheckpointState {
  /** The latest checkpoint. */
  modelCheckpointPath: string;
  /** Every checkpoint kept, oldest first. */
  allModelCheckpointPaths: string[];
  /** Their timestamps (seconds), when written. */
  allModelCheckpointTimestamps: number[];
  /** Absent when not written (TF1 Saver / plain tf.train.Checkpoint). */
  lastPreservedTimestamp?: number;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

function unescapeString(raw: string, line: number): string {
  // Work on UTF-8 bytes so octal/hex escapes of bytes compose correctly.
  const src = utf8.encode(raw);
  const out: number[] = [];
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c !== 0x5c) {
      out.push(c);
      continue;
    }
    const n = src[++i];
    const ch = String.fromCharCode(n);
    const simple: Record<string, number> = {
      n: 10,
      t: 9,
      r: 13,
      '"': 34,
      "'": 39,
      "\\": 92,
      a: 7,
      b: 8,
      f: 12,
      v: 11,
      "?": 63,
    };
    if (ch in simple) out.push(simple[ch]);
    else if (ch >= "0" && ch <= "7") {
      let v = 0;
      let k = 0;
      while (k < 3 && i < src.length && src[i] >= 0x30 && src[i] <= 0x37) {
        v = v * 8 + (src[i] - 0x30);
        i++;
        k++;
      }
      i--;
      out.push(v & 0xff);
    } else if (ch === "x" || ch === "X") {
      let v = 0;
      let k = 0;
      i++;
      while (k < 2 && i < src.length && /[0-9a-fA-F]/.test(String.fromCharCode(src[i]))) {
        v = v * 16 + parseInt(String.fromCharCode(src[i]), 16);
        i++;
        k++;
      }
      i--;
      if (k === 0) throw new Error(`bad \\x escape on line ${line}`);
      out.push(v);
    } else {
      throw new Error(`bad escape \\${ch} on line ${line}`);
    }
  }
  return utf8Decoder.decode(new Uint8Array(out));
}

/**
 * Parses the text of a `checkpoint` file like protobuf's text_format does: `field: value` pairs
 * in any layout (line breaks are not significant, `#` starts a comment, `,`/`;` may separate
 * fields, adjacent string literals concatenate). Throws CorruptCheckpointError on syntax errors
 * or unknown fields.
 *
 * @param text the file's text
 * @param location for messages
 * @returns the state
 */
export function parseCheckpointState(text: string, location?: string): CheckpointState {
  const state: CheckpointState = {
    modelCheckpointPath: "",
    allModelCheckpointPaths: [],
    allModelCheckpointTimestamps: [],
  };
  let i = 0;
  const line = () => text.slice(0, i).split("\n").length;
  const fail = (why: string): never => {
    throw new CorruptCheckpointError(
      `Cannot parse checkpoint state ${location ?? ""} line ${line()}: ${why}`,
      { location, actual: text.slice(i, i + 40) },
    );
  };
  const skip = () => {
    for (;;) {
      while (i < text.length && /\s/.test(text[i])) i++;
      if (text[i] !== "#") return;
      while (i < text.length && text[i] !== "\n") i++;
    }
  };
  const str = (): string => {
    let value = "";
    skip();
    if (text[i] !== '"' && text[i] !== "'") fail("expected a quoted string");
    while (text[i] === '"' || text[i] === "'") {
      const quote = text[i++];
      const start = i;
      while (i < text.length && text[i] !== quote) {
        if (text[i] === "\n") fail("unterminated string");
        i += text[i] === "\\" ? 2 : 1;
      }
      if (i >= text.length) fail("unterminated string");
      try {
        value += unescapeString(text.slice(start, i++), line());
      } catch (e) {
        fail((e as Error).message);
      }
      skip();
    }
    return value;
  };
  const num = (): number => {
    skip();
    const m = /^[-+]?(?:inf(?:inity)?|nan|[0-9.]+(?:[eE][-+]?[0-9]+)?)[fF]?/i.exec(text.slice(i));
    if (!m) return fail("expected a number");
    i += m[0].length;
    const raw = m[0].replace(/[fF]$/, "").toLowerCase();
    const sign = raw.startsWith("-") ? -1 : 1;
    const bare = raw.replace(/^[-+]/, "");
    if (bare === "nan") return NaN;
    if (bare.startsWith("inf")) return sign * Infinity;
    const v = Number(raw);
    if (Number.isNaN(v)) fail("expected a number");
    return v;
  };
  for (;;) {
    skip();
    if (i >= text.length) break;
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (!m) fail("expected a field name");
    const field = m![0];
    i += field.length;
    skip();
    if (text[i] !== ":") fail(`expected ':' after ${field}`);
    i++;
    switch (field) {
      case "model_checkpoint_path":
        state.modelCheckpointPath = str();
        break;
      case "all_model_checkpoint_paths":
        state.allModelCheckpointPaths.push(str());
        break;
      case "all_model_checkpoint_timestamps":
        state.allModelCheckpointTimestamps.push(num());
        break;
      case "last_preserved_timestamp":
        state.lastPreservedTimestamp = num();
        break;
      default:
        fail(`unknown field ${field}`);
    }
    skip();
    if (text[i] === "," || text[i] === ";") i++;
  }
  return state;
}

/** C-escapes a string like protobuf's Python text_encoding.CEscape(as_utf8=True). */
function escapeString(s: string): string {
  const out: number[] = [];
  const put = (t: string) => {
    for (let i = 0; i < t.length; i++) out.push(t.charCodeAt(i));
  };
  for (const b of utf8.encode(s)) {
    if (b === 0x0a) put("\\n");
    else if (b === 0x0d) put("\\r");
    else if (b === 0x09) put("\\t");
    else if (b === 0x22) put('\\"');
    else if (b === 0x27) put("\\'");
    else if (b === 0x5c) put("\\\\");
    else if (b < 0x20 || b === 0x7f) put("\\" + b.toString(8).padStart(3, "0"));
    else out.push(b);
  }
  return new TextDecoder().decode(new Uint8Array(out));
}

/** Python's repr() of a float (shortest round-trip, ".0" on integral values). */
function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (!Number.isFinite(v)) return v > 0 ? "inf" : "-inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  const s = String(v);
  // JS writes 1e-7 / 1e+21; Python writes 1e-07 / 1e+21.
  return s.replace(/e([+-])(\d)$/, "e$10$2");
}

/** Formats a state like `text_format.MessageToString` (one `field: value` line each). */
export function formatCheckpointState(state: CheckpointState): string {
  let out = "";
  if (state.modelCheckpointPath !== "") {
    out += `model_checkpoint_path: "${escapeString(state.modelCheckpointPath)}"\n`;
  }
  for (const p of state.allModelCheckpointPaths) {
    out += `all_model_checkpoint_paths: "${escapeString(p)}"\n`;
  }
  for (const t of state.allModelCheckpointTimestamps) {
    out += `all_model_checkpoint_timestamps: ${pythonFloat(t)}\n`;
  }
  if (state.lastPreservedTimestamp !== undefined && state.lastPreservedTimestamp !== 0) {
    out += `last_preserved_timestamp: ${pythonFloat(state.lastPreservedTimestamp)}\n`;
  }
  return out;
}

/** Writes `<dir>/checkpoint` in one atomic put. */
export async function writeCheckpointState(
  store: Store,
  dir: string,
  state: CheckpointState,
): Promise<void> {
  await store.put(joinLocation(dir, STATE_FILE_NAME), utf8.encode(formatCheckpointState(state)), {
    contentType: "text/plain",
  });
}

/**
 * Reads `<dir>/checkpoint`; undefined when it does not exist.
 *
 * @param store where to read
 * @param dir the directory
 * @param options read options (e.g. `fresh` for a state file other jobs may rewrite)
 * @returns the parsed state
 * @throws ObjectTooLargeError above {@link MAX_STATE_FILE_BYTES} (checked before reading)
 */
export async function readCheckpointState(
  store: Store,
  dir: string,
  options?: ReadOptions,
): Promise<CheckpointState | undefined> {
  const location = joinLocation(dir, STATE_FILE_NAME);
  let bytes: Uint8Array;
  try {
    bytes = await readCapped(
      store,
      location,
      MAX_STATE_FILE_BYTES,
      "Checkpoint state file",
      options,
    );
  } catch (e) {
    if (e instanceof ObjectNotFoundError) return undefined;
    throw e;
  }
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
    // Python's text_format reads it as UTF-8 and fails the same way (UnicodeDecodeError).
    throw new CorruptCheckpointError(`Checkpoint state ${location} is not UTF-8 text`, {
      location,
    });
  }
  return parseCheckpointState(text, location);
}

/**
 * The checkpoint prefix a state file in `dir` names with `path` (relative paths join onto
 * `dir`, absolute ones stay, as TF does) — refused when it names another scheme or another
 * bucket than the state file's own: a small text file in an allowed directory must not point a
 * job at objects it could not name itself. (The allow-list still checks the result.)
 *
 * @param dir the state file's directory
 * @param path a `model_checkpoint_path` or `all_model_checkpoint_paths` value
 * @returns the prefix
 * @throws LocationNotAllowedError for another scheme or bucket
 */
export function statePathLocation(dir: string, path: string): string {
  const prefix = joinLocation(dir, path);
  const from = parseLocation(dir);
  let to;
  try {
    to = parseLocation(prefix);
  } catch {
    to = undefined;
  }
  const same = to !== undefined && to.scheme === from.scheme &&
    (from.scheme !== "s3" || (to.scheme === "s3" && to.bucket === from.bucket));
  if (!same) {
    throw new LocationNotAllowedError(
      prefix,
      `is named by the checkpoint state file ${joinLocation(dir, STATE_FILE_NAME)}, which may ` +
        `only name checkpoints in its own ${from.scheme === "s3" ? "bucket" : "file system"}`,
    );
  }
  return prefix;
}

/**
 * Resolves a checkpoint prefix or directory to a prefix, like TF's load_checkpoint: when
 * `<x>.index` exists, `x`; else when `<x>/checkpoint` exists, its model_checkpoint_path joined onto
 * `x` (relative paths; see {@link statePathLocation}) whose `.index` must exist; otherwise
 * CheckpointNotFoundError. A location ending in `/` is a directory (TF: `IsDirectory`), whose
 * sibling `<x>.index` is never looked at.
 */
export async function resolveCheckpointPrefix(store: Store, dirOrPrefix: string): Promise<string> {
  const isDir = dirOrPrefix.endsWith("/");
  const x = dirOrPrefix.length > 1 ? dirOrPrefix.replace(/\/+$/, "") : dirOrPrefix;
  if (!isDir && await store.stat(indexLocation(x))) return x;
  const stateLocation = joinLocation(x, STATE_FILE_NAME);
  const state = await readCheckpointState(store, x);
  if (!state) {
    if (!isDir) await refuseKerasFile(store, x); // a directory is no Keras file

    throw new CheckpointNotFoundError(
      `No checkpoint at ${dirOrPrefix}: neither ${indexLocation(x)} nor ${stateLocation} exists. ` +
        `Pass a checkpoint prefix (e.g. dir/ckpt-1, whose .index file exists) or a directory ` +
        `containing a 'checkpoint' state file.`,
      { location: dirOrPrefix },
    );
  }
  if (state.modelCheckpointPath === "") {
    throw new CorruptCheckpointError(
      `Invalid checkpoint state loaded from ${x}: model_checkpoint_path is empty`,
      { location: stateLocation, key: "model_checkpoint_path" },
    );
  }
  const prefix = statePathLocation(x, state.modelCheckpointPath);
  if (!(await store.stat(indexLocation(prefix)))) {
    throw new CheckpointNotFoundError(
      `${stateLocation} names checkpoint ${prefix}, but ${indexLocation(prefix)} does not exist ` +
        `(was the checkpoint deleted or moved?). Pass an existing checkpoint prefix instead.`,
      { location: indexLocation(prefix) },
    );
  }
  return prefix;
}
