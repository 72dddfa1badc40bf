import assert from "node:assert/strict";
import {
  compilePythonRegex,
  MAX_PATTERN_LENGTH,
  MAX_PROGRAM_SIZE,
} from "../../lib/warmstart/python_regex.ts";
import { SettingsError, SpecError } from "../../lib/warmstart/errors.ts";

// Python's own `re` is the oracle: every (pattern, name) pair is matched by python3 at test time
// (the translation to RE2 syntax must agree on every pair, or refuse the pattern).
const PATTERNS = [
  // grown with the RE2 translation: octal escapes, scoped flags, lazy and counted repeats
  "\\101",
  "[\\101-\\132]+",
  "[\\1-\\7]",
  "(?i:dense)/K",
  "(?s:a.)b",
  "x{2,3}?y",
  "(?i)straße",
  "[^\\d\\s]+:0",
  "(?:a|ab)(?:c|bcd)",
  "(?:x*)*y",
  "((a)|b)+:0",
  "v(?=1)1",
  "^$",
  "a\\Z",
  "(?a)[\\w]+",
  "[\\x00-\\x7f]+",
  "\\u00e9|\\U0001F600",
  "[\\s\\S]",
  "a{0}b",
  "a{,0}b",
  "(?:)",
  "|v1",
  "(?i)[Σσς]",
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
  // extras
  "(?i)I",
  "(?i)[h-j]:",
  "(?i)ı",
  "(?i)K",
  "(?i)[^k]",
  "(?i)ss",
  "(?i)Σ",
  "(?i)[a-z]+:0",
  "v1:0$",
  "v1:0\\Z",
  "(?m)v1:0$",
  "(?m)^b",
  "a\\n$",
  "(a$)?",
  "x|v1$",
  "(?:v1$|v2)",
  "\\bv",
  "v\\b",
  "v1\\b:",
  "\\w+\\b",
  ".*\\bkernel",
  "[\\w]\\B",
  "emb\\B",
  "(?a)\\w+\\b",
  "(?a)\\d",
  "(?a)\\s",
  "(?!.*Momentum).*kernel",
  "^(?!.*Momentum)",
  "(?=dense)\\w+",
  "(?!v1)v",
  "(?<=/)k",
  ".*(?<!Momentum):0",
  ".*(?<=/)kernel",
  ".",
  "..",
  "^.$",
  "(?s).",
  "[\\Wa]",
  "(?i)[\\Wa]",
  "\\0",
  "\\x00",
  "[\\0-\\x1f]",
  "\\\\",
  "\\é",
  "[é-ü]",
  "😀",
  "[😀]",
  "\\U0001F600",
  "(?i:V)1",
  "(?-i:v)1",
  "(?s:.)",
  "(?m:$)",
  "(?i)(?-i:v)1",
  "a*?b",
  "a{1,3}?:",
  "(?P<name_1>x)",
  "(?P<é>x)",
  "[a-]",
  "[-a]",
  "[a\\-z]",
  "[\\]]",
  "[[]",
  "[[:alpha:]]",
  "[a&&b]",
  "[a--b]",
  "\\$",
  "\\.",
  "a{3,2}",
  "a**",
  "*a",
  "(a",
  "a)",
  "(?P=a)",
  "(?x) a",
  "(?L)a",
  "\\N{DIGIT ONE}",
  "(?>a)",
  "a++",
  "(?(1)a|b)",
  "\\1",
  "\\101",
  "[\\1]",
  "a{1001}",
  "(?:a{100}){100}",
  "\\p{L}",
  "\\z",
  "\\G",
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
  // extras
  "v1:0\n",
  "v1:0\n\n",
  "a\nb",
  "\nb",
  "v1\n",
  "a\n",
  "İ:",
  "ı:",
  "I",
  "i",
  "\u212a",
  "k",
  "SS",
  "ß",
  "σ",
  "ς",
  "Σ",
  "😀",
  "😀x",
  "\ud83d",
  "x\ud83dx",
  "\0",
  "\x1f",
  "\\",
  "é",
  "ü",
  "-",
  "[",
  "z",
  "ab",
  "emb/x",
  "embé",
  "emb",
  "dense/Momentum/kernel:0",
  "v",
  "V1",
  "v1é:",
  "w1\u00a0",
  "w1_",
  "a/kernel",
  "Momentum:0",
  "x/Momentum:0",
  "\u0660",
  "é1",
  "name_1",
  "",
];

/** Patterns Python accepts that the translation refuses, on purpose (no exact RE2 form). */
const REFUSED = [
  "(?x) a",
  "\\N{DIGIT ONE}",
  "(?>a)",
  "a++",
  "a{1001}",
  "(?:a{100}){100}",
  "v(?=1)1",
];

async function python(patterns: string[], names: string[]): Promise<Array<boolean[] | string>> {
  const script = "import json,re,sys,warnings\nwarnings.simplefilter('ignore')\n" +
    "ps,ns=json.load(sys.stdin)\nout=[]\nfor p in ps:\n  try:\n    r=re.compile(p)\n" +
    "    out.append([r.match(n) is not None for n in ns])\n  except Exception as e:\n" +
    "    out.append(str(e))\nprint(json.dumps(out))";
  const child = new Deno.Command("python3", {
    args: ["-c", script],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(JSON.stringify([patterns, names])));
  await writer.close();
  const out = await child.output();
  assert.equal(out.code, 0, "python3 must be available as the regex oracle");
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("compilePythonRegex() agrees with Python's re.match on every pattern x name, or refuses", async () => {
  const expected = await python(PATTERNS, NAMES);
  const mismatches: string[] = [];
  const refused: string[] = [];
  const acceptedInvalid: string[] = [];
  PATTERNS.forEach((p, i) => {
    const want = expected[i];
    let re;
    try {
      re = compilePythonRegex(p);
    } catch (e) {
      assert.ok(e instanceof SpecError, `${p}: ${e}`);
      if (typeof want !== "string") refused.push(p);
      return;
    }
    if (typeof want === "string") {
      acceptedInvalid.push(`${p} (python: ${want})`);
      return;
    }
    NAMES.forEach((n, j) => {
      if (re.match(n) !== want[j]) {
        mismatches.push(`${JSON.stringify(p)} ~ ${JSON.stringify(n)}: python ${want[j]}`);
      }
    });
  });
  assert.deepEqual(mismatches, []);
  assert.deepEqual(acceptedInvalid, []);
  assert.deepEqual(refused.sort(), [...REFUSED].sort());
  assert.ok(PATTERNS.length - refused.length >= 140, "the differential covers 140+ patterns");
});

Deno.test("compilePythonRegex() refuses what RE2 cannot express with a SettingsError", () => {
  for (const p of [...REFUSED, "(?P<a>v)(?P=a)", "(x)?\\1v", "[^\\Wa]", "v1$x", "a(?=b)"]) {
    assert.throws(() => compilePythonRegex(p), (e: unknown) => {
      assert.ok(e instanceof SettingsError && e.kind === "spec", `${p}: ${e}`);
      assert.match((e as Error).message, /RE2|invalid regex|character matchers/);
      return true;
    });
  }
  assert.throws(() => compilePythonRegex("a[b"), /unterminated character set/);
  assert.throws(() => compilePythonRegex("(a"), /invalid regex/);
});

Deno.test("compilePythonRegex(): the backtracking bomb is an ordinary linear-time pattern", () => {
  // `(` + `.*` x 20 + `)Z` blocked V8's engine for minutes on a 30-character name.
  const re = compilePythonRegex("(" + ".*".repeat(20) + ")Z");
  assert.equal(re.match("linear_model/sc_vocab/weights/part_1:0".repeat(8)), false);
  assert.equal(re.match("dense/kernel:0 Z"), true);
  assert.equal(compilePythonRegex("(a*)*b").match("a".repeat(5000)), false);
});

Deno.test("compilePythonRegex(): pattern and program size are capped, messages are clipped", () => {
  const huge = "a".repeat(MAX_PATTERN_LENGTH + 1);
  assert.throws(() => compilePythonRegex(huge), (e: unknown) => {
    assert.ok(e instanceof SpecError && e.field === "vars_to_warm_start");
    assert.match((e as Error).message, /longer than 4096 characters/);
    assert.ok((e as Error).message.length < 400, "the pattern is not echoed whole");
    return true;
  });
  compilePythonRegex("a".repeat(MAX_PATTERN_LENGTH));
  assert.throws(
    () => compilePythonRegex("(?:[ab]{1000}c)".repeat(5)),
    (e: unknown) =>
      e instanceof SpecError &&
      new RegExp(`more than ${MAX_PROGRAM_SIZE}`).test((e as Error).message),
  );
  assert.equal(compilePythonRegex("[ab]{1000}").size, 1000);
});
