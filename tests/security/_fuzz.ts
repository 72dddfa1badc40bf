/**
 * Generators of hostile requests for the fuzz test, from a seeded PRNG (the same seed gives the
 * same requests): job specs mutated from the sample job (values replaced by any JSON, fields
 * dropped or invented, locations bent towards `..`, devices, FIFOs, symlinks and other schemes,
 * regexes from the regex alphabet, vocabulary sizes at the extremes), and notification bodies of
 * every shape the event route reads, malformed on purpose.
 *
 * @module
 */

/** mulberry32: a small, fast, seeded PRNG in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks from a PRNG. */
export class Pick {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  one<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  string(alphabet: string, max: number): string {
    const n = this.int(max + 1);
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
}

const REGEX_ALPHABET = "ab.*+?()[]{}|^$\\dwsWSbBAZ:/_-0123456789,=!<>P#";
const ODD_STRINGS = [
  "",
  "..",
  "../..",
  "/",
  "/dev/zero",
  "/proc/self/mem",
  "/etc/passwd",
  "s3://",
  "s3://other/x",
  "file:///etc/passwd",
  "gs://b/k",
  "\u0000",
  "%2e%2e/%2e%2e",
  "a".repeat(5000),
  "😀",
  "C:\\Windows",
];

/** Any JSON value, small or hostile. */
export function anyJson(p: Pick, depth = 0): unknown {
  switch (p.int(depth > 2 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return p.chance(0.5);
    case 2:
      return p.one([0, -1, 1, 2 ** 53, -(2 ** 53), 1e308, 0.5, 4294967296, 2 ** 31]);
    case 3:
      return p.one(ODD_STRINGS);
    case 4:
      return p.string(REGEX_ALPHABET, 40);
    case 5:
      return Array.from({ length: p.int(4) }, () => anyJson(p, depth + 1));
    case 6:
      return Object.fromEntries(
        Array.from(
          { length: p.int(4) },
          () => [p.one(["toString", "__proto__", "x", ""]), anyJson(p, depth + 1)],
        ),
      );
    default:
      return { toString: 1, valueOf: {} };
  }
}

/** A location in or around `dir` (see module docs). */
function location(p: Pick, dir: string): string {
  return p.one([
    `${dir}/old/`,
    `${dir}/old/model.ckpt-100`,
    `${dir}/new/model.ckpt-1`,
    `${dir}/fifo`,
    `${dir}/zero_link`,
    `${dir}/outside_link/x`,
    `${dir}/../`,
    `${dir}`,
    `${dir}/merged/model.ckpt-${p.int(3)}`,
    `${dir}/new/new_vocab.txt`,
    ...ODD_STRINGS,
  ]);
}

/** A job spec: the sample job of `dir`, mutated. */
export function fuzzSpec(p: Pick, dir: string): unknown {
  const spec: Record<string, unknown> = {
    ckpt_to_initialize_from: `${dir}/old/`,
    new_checkpoint: `${dir}/new/model.ckpt-1`,
    output: `${dir}/merged/model.ckpt-1`,
    var_name_to_vocab_info: {
      emb: {
        new_vocab: `${dir}/new/new_vocab.txt`,
        new_vocab_size: 5,
        num_oov_buckets: 1,
        old_vocab: `${dir}/old/old_vocab.txt`,
      },
    },
  };
  const vocab = (spec.var_name_to_vocab_info as Record<string, Record<string, unknown>>).emb;
  const mutations = 1 + p.int(3);
  for (let i = 0; i < mutations; i++) {
    switch (p.int(9)) {
      case 0:
        spec[p.one(["ckpt_to_initialize_from", "new_checkpoint", "output"])] = location(p, dir);
        break;
      case 1:
        spec.vars_to_warm_start = p.chance(0.5)
          ? p.string(REGEX_ALPHABET, 60)
          : Array.from({ length: p.int(5) }, () => p.string(REGEX_ALPHABET, 30));
        break;
      case 2:
        vocab[p.one(["new_vocab", "old_vocab"])] = location(p, dir);
        break;
      case 3:
        vocab[p.one(["new_vocab_size", "num_oov_buckets", "old_vocab_size", "axis"])] = p.one([
          -1,
          0,
          1,
          5,
          2 ** 31,
          2 ** 53,
          1e9,
          0.5,
        ]);
        break;
      case 4:
        delete spec[p.one(Object.keys(spec))];
        break;
      case 5:
        spec[p.one(Object.keys(spec))] = anyJson(p);
        break;
      case 6:
        spec[p.one(["unknown", "toString", "__proto__", "vars_to_warm_start"])] = anyJson(p);
        break;
      case 7:
        spec.var_name_to_prev_var_name = { [p.one(["emb", "x", ""])]: anyJson(p) };
        break;
      default:
        spec.trainable_variables = p.chance(0.5) ? anyJson(p) : ["emb", "x"];
    }
  }
  return p.chance(0.05) ? anyJson(p) : spec;
}

/** A notification body of one of the shapes the event route reads, malformed on purpose. */
export function fuzzEvent(p: Pick, dir: string): unknown {
  const record = () => ({
    eventName: p.chance(0.8) ? "ObjectCreated:Put" : anyJson(p),
    eventTime: p.chance(0.5) ? "2026-01-01T00:00:00Z" : anyJson(p),
    s3: p.chance(0.9)
      ? {
        configurationId: p.one(["webhook-global", "x", 1]),
        bucket: { name: p.one(["models", "", "a/b", 7, "x".repeat(300)]) },
        object: {
          key: p.chance(0.7)
            ? p.one(["warm_start.json", "x/model.ckpt-1.index", "../../etc"])
            : anyJson(p),
          eTag: p.chance(0.5) ? "abc" : anyJson(p),
          sequencer: p.chance(0.5) ? "F".repeat(p.int(80)) : anyJson(p),
          size: anyJson(p),
        },
      }
      : anyJson(p),
  });
  switch (p.int(6)) {
    case 0:
      return { Records: Array.from({ length: p.int(6) }, record) };
    case 1:
      return { Type: "Notification", Message: JSON.stringify({ Records: [record()] }) };
    case 2:
      return [{
        action: p.one(["PutObject", "DeleteObject", 1]),
        bucket: "models",
        object: { key: location(p, dir) },
      }];
    case 3:
      return {
        EventName: "s3:ObjectCreated:Put",
        Key: "models/x",
        Records: [record(), anyJson(p)],
      };
    case 4:
      return {
        Type: p.one(["SubscriptionConfirmation", "Notification"]),
        Message: p.string('{}[]":,a', 20),
      };
    default:
      return anyJson(p);
  }
}
