/**
 * Python `re` patterns in JavaScript, with `re.match` semantics (anchored at the start, not at the
 * end). `vars_to_warm_start` regexes are Python regexes; constructs that mean something different in
 * JavaScript are translated, and constructs JavaScript cannot express are rejected with a clear
 * SettingsError — never silently reinterpreted.
 *
 * @module
 */
import { SpecError } from "./errors.ts";

/** JavaScript characters that must stay escaped in a `u`-mode RegExp. */
const JS_SYNTAX = new Set([..."^$\\.*+?()[]{}|/"]);

/** Python's `str.isspace()` characters (JavaScript's \s differs: it has U+FEFF, lacks 0x1C-0x1F, 0x85). */
const PY_SPACE =
  "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** Python single-letter escapes and their `u`-mode JavaScript equivalents. */
const LETTER_ESCAPES: Record<string, string> = {
  a: "\\x07",
  f: "\\f",
  n: "\\n",
  r: "\\r",
  t: "\\t",
  v: "\\v",
  // Python str patterns are Unicode-aware: \d is any Unicode decimal digit, \w any alphanumeric.
  d: "\\p{Nd}",
  D: "\\P{Nd}",
  w: "[\\p{L}\\p{N}_]",
  W: "[^\\p{L}\\p{N}_]",
  s: `[${PY_SPACE}]`,
  S: `[^${PY_SPACE}]`,
};

/**
 * The same escapes inside a character class (no nested brackets allowed there). The negated
 * classes \W and \S have no in-class form; they are handled as a whole class (see translateClass).
 */
const CLASS_LETTER_ESCAPES: Record<string, string> = {
  ...LETTER_ESCAPES,
  w: "\\p{L}\\p{N}_",
  s: PY_SPACE,
  b: "\\x08",
};
delete CLASS_LETTER_ESCAPES.W;
delete CLASS_LETTER_ESCAPES.S;

/** A class that is exactly one negated escape, e.g. `[\W]`, `[^\S]`. */
const WHOLE_CLASS_ESCAPES: Record<string, string> = { W: "\\p{L}\\p{N}_", S: PY_SPACE };

function reject(pattern: string, what: string): never {
  throw new SpecError(
    `vars_to_warm_start: the Python regex ${JSON.stringify(pattern)} uses ${what}, ` +
      "which has no exact JavaScript equivalent; rewrite the pattern without it",
    { field: "vars_to_warm_start" },
  );
}

/** A compiled Python regex applied with `re.match` semantics. */
export interface PythonRegex {
  /** The original Python pattern. */
  source: string;
  /** `re.match(pattern, text) is not None`. */
  match(text: string): boolean;
}

/**
 * Compiles a Python regex for `re.match`.
 *
 * @example
 * ```ts
 * compilePythonRegex("v2[^/]").match("v2:0"); // true
 * compilePythonRegex("v1$").match("v1:0"); // false, as in TF
 * ```
 */
export function compilePythonRegex(pattern: string): PythonRegex {
  const { source, flags } = translate(pattern);
  let re: RegExp;
  try {
    re = new RegExp(source, flags + "uy");
  } catch (e) {
    throw new SpecError(
      `vars_to_warm_start: invalid regex ${JSON.stringify(pattern)}: ${(e as Error).message}`,
      { field: "vars_to_warm_start" },
    );
  }
  return {
    source: pattern,
    match(text: string): boolean {
      re.lastIndex = 0; // sticky + lastIndex 0 == anchored at the start, like re.match
      return re.test(text);
    },
  };
}

/** Translates Python syntax to a `u`-mode JavaScript source plus flags. */
function translate(pattern: string): { source: string; flags: string } {
  let flags = "";
  let i = 0;
  // Global inline flags must lead the pattern in Python 3.11+: (?aiLmsux)
  const leading = /^\(\?([aiLmsux]+)\)/.exec(pattern);
  if (leading) {
    for (const f of leading[1]) {
      if (f === "i" || f === "m" || f === "s") flags += flags.includes(f) ? "" : f;
      else if (f === "u") continue; // str patterns are Unicode already
      else reject(pattern, `the inline flag (?${f})`);
    }
    i = leading[0].length;
  }
  let out = "";
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === "\\") {
      const [text, used] = translateEscape(pattern, i, false);
      out += text;
      i += used;
      continue;
    }
    if (c === "[") {
      const [text, used] = translateClass(pattern, i);
      out += text;
      i += used;
      continue;
    }
    if (c === "(" && pattern[i + 1] === "?") {
      const [text, used] = translateGroup(pattern, i);
      out += text;
      i += used;
      continue;
    }
    if (c === "{") {
      // Python: {m}, {m,}, {,n}, {m,n} and {,} are quantifiers; any other brace is literal.
      const m = /^\{(\d*)(,?)(\d*)\}/.exec(pattern.slice(i));
      if (m && (m[1] !== "" || m[2] !== "")) {
        out += `{${m[1] === "" ? "0" : m[1]}${m[2]}${m[3]}}`;
        i += m[0].length;
        if (pattern[i] === "+") reject(pattern, "a possessive quantifier");
      } else {
        out += "\\{";
        i++;
      }
      continue;
    }
    if (c === "}" || c === "]") {
      out += `\\${c}`; // literal in Python, a syntax error in u-mode JavaScript
      i++;
      continue;
    }
    if ((c === "+" || c === "*" || c === "?") && pattern[i + 1] === "+") {
      reject(pattern, "a possessive quantifier");
    }
    out += c;
    i++;
  }
  return { source: out, flags };
}

/** Translates the character class starting at `pattern[i] === "["`. */
function translateClass(pattern: string, i: number): [string, number] {
  let j = i + 1;
  const negated = pattern[j] === "^";
  if (negated) j++;
  const itemsStart = j;
  let out = "";
  // A `]` right after `[` or `[^` is a literal in Python.
  if (pattern[j] === "]") {
    out += "\\]";
    j++;
  }
  while (j < pattern.length && pattern[j] !== "]") {
    const c = pattern[j];
    if (c === "\\") {
      const letter = pattern[j + 1];
      if (letter !== undefined && letter in WHOLE_CLASS_ESCAPES) {
        if (j !== itemsStart || pattern[j + 2] !== "]") {
          reject(pattern, `\\${letter} together with other items in a character class`);
        }
        // [\W] is "not a word character", [^\W] is "a word character".
        return [`[${negated ? "" : "^"}${WHOLE_CLASS_ESCAPES[letter]}]`, j + 3 - i];
      }
      const [text, used] = translateEscape(pattern, j, true);
      out += text;
      j += used;
      continue;
    }
    out += c === "[" ? "\\[" : c;
    j++;
  }
  if (j >= pattern.length) {
    throw new SpecError(
      `vars_to_warm_start: invalid regex ${JSON.stringify(pattern)}: unterminated character set`,
      { field: "vars_to_warm_start" },
    );
  }
  return [`[${negated ? "^" : ""}${out}]`, j + 1 - i];
}

function translateGroup(pattern: string, i: number): [string, number] {
  const rest = pattern.slice(i);
  const named = /^\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest);
  if (named) return [`(?<${named[1]}>`, named[0].length];
  // A backreference to a group that did not take part fails in Python but matches empty in
  // JavaScript.
  if (rest.startsWith("(?P=")) reject(pattern, "a backreference (?P=name)");
  const comment = /^\(\?#[^)]*\)/.exec(rest);
  if (comment) return ["", comment[0].length];
  for (const simple of ["(?:", "(?=", "(?!", "(?<=", "(?<!"]) {
    if (rest.startsWith(simple)) return [simple, simple.length];
  }
  if (rest.startsWith("(?>")) reject(pattern, "an atomic group (?>...)");
  if (rest.startsWith("(?(")) reject(pattern, "a conditional group (?(id)yes|no)");
  if (/^\(\?[aiLmsux-]+[:)]/.test(rest)) reject(pattern, "a scoped inline flag group");
  return reject(pattern, `the group syntax ${rest.slice(0, 4)}`);
}

function translateEscape(pattern: string, i: number, inClass: boolean): [string, number] {
  const next = pattern[i + 1];
  if (next === undefined) {
    throw new SpecError(
      `vars_to_warm_start: invalid regex ${JSON.stringify(pattern)}: bad escape (end of pattern)`,
      { field: "vars_to_warm_start" },
    );
  }
  const table = inClass ? CLASS_LETTER_ESCAPES : LETTER_ESCAPES;
  if (next in table) return [table[next], 2];
  // Start and end of the whole string, whatever (?m) says.
  if (!inClass && (next === "A")) return ["(?<![\\s\\S])", 2];
  if (!inClass && (next === "Z")) return ["(?![\\s\\S])", 2];
  if (!inClass && (next === "b" || next === "B")) {
    // JS \b is ASCII-only even in u mode; Python's is Unicode-aware. Equal for ASCII names.
    return [
      `(?:${next === "b" ? "" : "(?!"}(?:(?<=[\\p{L}\\p{N}_])(?![\\p{L}\\p{N}_])|` +
      `(?<![\\p{L}\\p{N}_])(?=[\\p{L}\\p{N}_]))${next === "b" ? "" : ")"})`,
      2,
    ];
  }
  if (next === "x") {
    const m = /^[0-9a-fA-F]{2}/.exec(pattern.slice(i + 2));
    if (!m) reject(pattern, "an incomplete \\x escape");
    return [`\\x${m[0]}`, 4];
  }
  if (next === "u") {
    const m = /^[0-9a-fA-F]{4}/.exec(pattern.slice(i + 2));
    if (!m) reject(pattern, "an incomplete \\u escape");
    return [`\\u${m[0]}`, 6];
  }
  if (next === "U") {
    const m = /^[0-9a-fA-F]{8}/.exec(pattern.slice(i + 2));
    if (!m) reject(pattern, "an incomplete \\U escape");
    return [`\\u{${m[0].replace(/^0+(?=.)/, "")}}`, 10];
  }
  if (next === "0") {
    const m = /^0[0-7]{0,2}/.exec(pattern.slice(i + 1))!;
    const code = parseInt(m[0], 8);
    return [`\\u{${code.toString(16)}}`, 1 + m[0].length];
  }
  if (/[1-9]/.test(next)) {
    reject(pattern, inClass ? "an octal escape in a character class" : "a backreference");
  }
  if (/[A-Za-z]/.test(next)) reject(pattern, `the escape \\${next}`);
  // Python lets any punctuation be escaped; u-mode JavaScript only allows syntax characters.
  if (JS_SYNTAX.has(next) || (inClass && next === "-")) return [`\\${next}`, 2];
  const cp = pattern.codePointAt(i + 1)!;
  return [`\\u{${cp.toString(16)}}`, 1 + (cp > 0xffff ? 2 : 1)];
}
