import assert from "node:assert/strict";
import { compilePythonRegex } from "../../lib/warmstart/python_regex.ts";
import { SettingsError } from "../../lib/warmstart/errors.ts";

// Python's own `re` is the oracle: every (pattern, name) pair is matched by python3 at test time.
const PATTERNS = [
  ".*",
  "",
  "v1",
  "v1$",
  "v2[^/]",
  ".*sc_vocab.*",
  ".*(sc_keys|sc_vocab).*",
  "(?P<a>v)",
  "x\\:0",
  "a{,2}b",
  "a{2}",
  "a{1,}",
  "(?i)V1",
  "[]a]",
  "[^]a]",
  "\\d+",
  "\\w+/part_\\d",
  "a|b",
  "dense(_\\d+)?/kernel",
  "\\Adense",
  "emb\\b",
  "x{",
  "[\\w.]+:0",
  "(?#comment)v1",
  "(?:layer|block)_[0-3]/",
  "(?s)v.1",
  "\\x76\\u0031",
  "ww{,}1",
  "x{}",
  "w1[\\W]",
  "w1[^\\W]",
  "w1[\\S]",
  "a]",
  ".*\\s",
  "\\S+:0$",
  "(?m)\\Av1:0\\Z",
  "[\\s\\d]",
];
const NAMES = [
  "v1:0",
  "v10:0",
  "v1/Momentum:0",
  "v2:0",
  "v2/Momentum:0",
  "vv:0",
  "x:0",
  "aab",
  "aaab",
  "]",
  "a",
  "b",
  "١٢:0",
  "linear_model/sc_vocab/weights:0",
  "linear_model/sc_keys/weights/part_1:0",
  "dense/kernel:0",
  "dense_12/kernel:0",
  "emb/weights:0",
  "embx:0",
  "x{:0",
  "layer_2/w:0",
  "block_9/w:0",
  "über/w:0",
  "w1:0",
  "w1!",
  "w1é",
  "a]:0",
  "x{}:0",
  "a b:0",
  "\x1c:0",
  "\ufeff:0",
  "\x85x:0",
];

async function pythonMatches(): Promise<boolean[][]> {
  const script = "import json,re,sys\nps,ns=json.load(sys.stdin)\n" +
    "print(json.dumps([[re.match(p,n) is not None for n in ns] for p in ps]))";
  const cmd = new Deno.Command("python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
  });
  const child = cmd.spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify([PATTERNS, NAMES])));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 0, "python3 must be available as the regex oracle");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("compilePythonRegex() matches like Python re.match on every pattern x name", async () => {
  const expected = await pythonMatches();
  const mismatches: string[] = [];
  PATTERNS.forEach((p, i) => {
    const re = compilePythonRegex(p);
    NAMES.forEach((n, j) => {
      if (re.match(n) !== expected[i][j]) mismatches.push(`${p} ~ ${n}: py=${expected[i][j]}`);
    });
  });
  assert.deepEqual(mismatches, []);
});

Deno.test("compilePythonRegex() rejects Python-only constructs with a SettingsError", () => {
  const unsupported = [
    "(?>a)",
    "a++",
    "(?(1)a|b)",
    "(?x) a",
    "\\N{DIGIT ONE}",
    "(?i:a)",
    "(?P<a>v)(?P=a)", // backreferences: unmatched groups behave differently
    "(x)?\\1v",
    "[\\Wa]", // a negated class escape mixed with other items
  ];
  for (const p of unsupported) {
    assert.throws(() => compilePythonRegex(p), (e: unknown) => {
      assert.ok(e instanceof SettingsError, `${p}: ${e}`);
      assert.match((e as Error).message, /no exact JavaScript equivalent|invalid regex/);
      return true;
    });
  }
});

Deno.test("compilePythonRegex() reports invalid regexes", () => {
  assert.throws(() => compilePythonRegex("a[b"), /unterminated character set/);
  assert.throws(() => compilePythonRegex("(a"), /invalid regex/);
});
