/**
 * The TF-written fixtures (tests/oracle/make_fixtures.py) and their manifest: what TensorFlow
 * itself read from each checkpoint.
 *
 * @module
 */
import { fromFileUrl } from "./_paths.ts";

/** Directory of the format fixtures. */
export const FIXTURE_DIR = fromFileUrl(new URL("../fixtures/data/format/", import.meta.url));

/** One variable as TF reads it. */
export interface ManifestVariable {
  name: string;
  dtype: string;
  shape: number[];
  /** Tensor bytes as hex (numpy .tobytes()), absent for variant and unsampled entries. */
  hex?: string;
  /** String elements, base64, row-major. */
  strings?: string[];
}

/** A fixture entry of the manifest. */
export interface ManifestFixture {
  prefix: string;
  dir?: string;
  meta?: string;
  trainable?: string[];
  variables: ManifestVariable[];
  num_shards?: number;
  num_keys?: number;
  num_data_blocks?: number;
  slices?: Record<string, string[]>;
  object_graph?: Record<string, unknown>;
  state_text?: string;
  latest_checkpoint?: string;
}

/** A corrupt variant. */
export interface CorruptCase {
  name: string;
  prefix: string;
  stage: "index" | "tensor";
  file: string;
  key?: string;
  offset?: number;
  note: string;
  tf_result: string;
  tf_exit: number;
}

/** manifest.json. */
export interface Manifest {
  tf_version: string;
  fixtures: Record<string, ManifestFixture> & {
    snappy: Record<string, { prefix: string; source: string; index_block_type: number }>;
  };
  corrupt: { base: string; cases: CorruptCase[] };
}

/** The parsed manifest. */
export const manifest: Manifest = JSON.parse(
  Deno.readTextFileSync(`${FIXTURE_DIR}manifest.json`),
);

/** Absolute path of a fixture-relative path. */
export function fixturePath(rel: string): string {
  return `${FIXTURE_DIR}${rel}`;
}

/** The TF-written (non-derived) checkpoint fixtures. */
export const TF_FIXTURES = [
  "tf1",
  "tf2",
  "dtypes",
  "sliced",
  "sharded",
  "many",
  "managed",
] as const;

/** Hex → bytes. */
export function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Base64 → bytes. */
export function fromBase64(b64: string): Uint8Array {
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** Bytes → hex. */
export function toHexString(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
