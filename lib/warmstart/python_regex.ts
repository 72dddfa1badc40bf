/**
 * Python `re` patterns with `re.match` semantics (anchored at the start, not at the end), matched
 * in linear time by RE2 (npm:re2js, a pure-JS port): `vars_to_warm_start` regexes are Python
 * regexes, and a backtracking engine would let one pattern (`(.*.*…)Z`) freeze the process.
 *
 * The pattern is parsed as Python parses it into a small syntax tree, then written out as RE2
 * syntax that spells every Python meaning out explicitly (no RE2 flags but scoped `(?i:…)`):
 * Unicode `\d`/`\w`/`\s` as Python defines them, `.` without newline, `^`/`\A` as `\A`, `\Z` as
 * `\z`, `$` as `\n?\z`, literals as `\x{…}`, Python's Turkish-i case folding, `\b`/`\B` from the
 * neighbouring characters. Constructs RE2 cannot express exactly (backreferences, atomic groups,
 * possessive quantifiers, conditionals, lookaheads other than leading ones, `(?x)`, `$` followed
 * by more pattern, repeat counts above 1000) are rejected with a SpecError — never reinterpreted.
 * A leading top-level lookahead `(?=X)`/`(?!X)` is evaluated as its own match at position 0.
 *
 * RE2 matches in O(program size × text length), on the request's thread; the constant is about
 * 0.1-0.2 µs when it cannot use its DFA. So a pattern is at most {@link MAX_PATTERN_LENGTH}
 * characters and its program at most {@link MAX_PROGRAM_SIZE} character matchers once counted
 * repeats are expanded (compiling costs about the same), and {@link PythonRegex.size} lets callers
 * bound one match by the text's length ({@link MAX_MATCH_COST}). Messages quote at most 80
 * characters of a pattern.
 *
 * @module
 */
import { RE2JS } from "re2js";
import { SpecError } from "./errors.ts";

/** Longest pattern accepted (characters). */
export const MAX_PATTERN_LENGTH = 4096;

/** Largest program accepted: character matchers after expanding counted repeats (`a{3}` is 3). */
export const MAX_PROGRAM_SIZE = 4096;

/**
 * Largest program size × text length one match may cost (2^20: at most ~0.1-0.2 s even when RE2
 * falls back from its DFA); callers refuse longer texts for a pattern that large.
 */
export const MAX_MATCH_COST = 2 ** 20;

/** A compiled Python regex applied with `re.match` semantics. */
export interface PythonRegex {
  /** The original Python pattern. */
  source: string;
  /** The program size: character matchers after expanding counted repeats (≥ 1). */
  size: number;
  /** `re.match(pattern, text) is not None`. */
  match(text: string): boolean;
}

/** A pattern as quoted in messages: JSON, at most 80 characters of it. */
export function quotePattern(pattern: string): string {
  if (pattern.length <= 80) return JSON.stringify(pattern);
  return `${JSON.stringify(pattern.slice(0, 80))}… (${pattern.length} characters)`;
}

function unsupported(pattern: string, what: string): SpecError {
  return new SpecError(
    `vars_to_warm_start: the Python regex ${quotePattern(pattern)} uses ${what}, which the ` +
      "linear-time regex engine (RE2) cannot express exactly; rewrite the pattern without it",
    { field: "vars_to_warm_start" },
  );
}

function invalid(pattern: string, why: string): SpecError {
  return new SpecError(
    `vars_to_warm_start: invalid regex ${quotePattern(pattern)}: ${why}`,
    { field: "vars_to_warm_start" },
  );
}

/**
 * Refuses a pattern longer than {@link MAX_PATTERN_LENGTH} (cheap; the spec parser calls it).
 *
 * @throws SpecError naming the length
 */
export function checkPatternLength(pattern: string): void {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new SpecError(
      `vars_to_warm_start: the regex ${quotePattern(pattern)} is longer than ` +
        `${MAX_PATTERN_LENGTH} characters`,
      { field: "vars_to_warm_start" },
    );
  }
}

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  a: boolean;
}

type Node =
  | { k: "seq"; items: Node[] }
  | { k: "alt"; alts: Node[] }
  /** Consumes exactly one character; `word`: whether it is a word character (for \b). */
  | { k: "atom"; src: string; word?: boolean; fold: boolean }
  | { k: "assert"; what: "A" | "z" | "bol_m" | "eol" | "eol_m" | "b" | "B"; ascii: boolean }
  | { k: "group"; body: Node }
  | { k: "look"; ahead: boolean; neg: boolean; body: Node }
  | { k: "rep"; body: Node; min: number; max: number };

/** Python's str.isspace() characters (= Python's Unicode \s), in RE2 syntax. */
const PY_SPACE = "\\t-\\r\\x{1c}-\\x{20}\\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}" +
  "\\x{2029}\\x{202f}\\x{205f}\\x{3000}";
/** Python's Unicode classes (str patterns): \w = alphanumeric or `_`, \d = decimal digits. */
const UNICODE = { w: "\\p{L}\\p{N}_", d: "\\p{Nd}", s: PY_SPACE };
/** Under (?a): ASCII classes; Python's ASCII \s has \v, RE2's \s lacks it. */
const ASCII = { w: "0-9A-Za-z_", d: "0-9", s: "\\t-\\r " };
/** Python's (?i) makes these four equivalent; RE2's simple case folding does not. */
const TURKISH_I = [0x49, 0x69, 0x130, 0x131];
/** A class matching nothing. */
const NEVER = "[^\\x{0}-\\x{10ffff}]";

const hex = (cp: number) => `\\x{${cp.toString(16)}}`;

function isWordChar(cp: number, ascii: boolean): boolean {
  const c = String.fromCodePoint(cp);
  return ascii ? /[0-9A-Za-z_]/.test(c) : /[\p{L}\p{N}_]/u.test(c);
}

/** Python's sre_parse, as far as this module needs it: the pattern into a {@link Node} tree. */
class Parser {
  i = 0;
  /** True once a lookbehind was emitted (RE2JS needs its LOOKBEHINDS flag then). */
  lookbehinds = false;

  constructor(readonly p: string, public f: Flags) {}

  unsupported(what: string): never {
    throw unsupported(this.p, what);
  }

  invalid(why: string): never {
    throw invalid(this.p, why);
  }

  parseAlt(): Node {
    const alts = [this.parseSeq()];
    while (this.p[this.i] === "|") {
      this.i++;
      alts.push(this.parseSeq());
    }
    return alts.length === 1 ? alts[0] : { k: "alt", alts };
  }

  parseSeq(): Node {
    const items: Node[] = [];
    while (this.i < this.p.length && this.p[this.i] !== "|" && this.p[this.i] !== ")") {
      const atom = this.parseAtom();
      if (atom !== null) items.push(this.parseQuantifier(atom));
    }
    return { k: "seq", items };
  }

  parseQuantifier(atom: Node): Node {
    const p = this.p;
    let min: number;
    let max: number;
    const c = p[this.i];
    if (c === "*") [min, max] = [0, Infinity];
    else if (c === "+") [min, max] = [1, Infinity];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{") {
      // Python: {m}, {m,}, {,n}, {m,n} and {,} are quantifiers; any other brace is a literal.
      const m = /^\{(\d*)(,?)(\d*)\}/.exec(p.slice(this.i));
      if (!m || (m[1] === "" && m[2] === "")) return atom;
      min = m[1] === "" ? 0 : Number(m[1]);
      max = m[2] === "" ? min : m[3] === "" ? Infinity : Number(m[3]);
      if (max < min) this.invalid("min repeat greater than max repeat");
      if (min > 1000 || (max !== Infinity && max > 1000)) {
        this.unsupported("a repeat count above 1000 (RE2's limit)");
      }
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (atom.k === "assert" || atom.k === "look") this.invalid("nothing to repeat");
    if (p[this.i] === "+") this.unsupported("a possessive quantifier");
    if (p[this.i] === "?") this.i++; // lazy: the same yes/no answer
    const next = p[this.i];
    if (
      next === "*" || next === "+" || next === "?" ||
      (next === "{" && /^\{\d*,?\d*\}/.test(p.slice(this.i)) && !/^\{\}/.test(p.slice(this.i)))
    ) {
      this.invalid("multiple repeat");
    }
    return { k: "rep", body: atom, min, max };
  }

  parseAtom(): Node | null {
    const p = this.p;
    const c = p[this.i];
    if (c === "(") return this.parseGroup();
    if (c === "[") return this.parseClass();
    if (c === "\\") return this.parseEscape();
    if (c === "*" || c === "+" || c === "?") this.invalid("nothing to repeat");
    const cp = p.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1; // a non-BMP literal is one Python character
    if (c === ".") {
      return { k: "atom", src: this.f.s ? "[\\x{0}-\\x{10ffff}]" : "[^\\n]", fold: false };
    }
    if (c === "^") return { k: "assert", what: this.f.m ? "bol_m" : "A", ascii: false };
    if (c === "$") return { k: "assert", what: this.f.m ? "eol_m" : "eol", ascii: false };
    return this.literal(cp);
  }

  literal(cp: number): Node {
    if (this.f.i && TURKISH_I.includes(cp)) {
      return { k: "atom", src: `[${TURKISH_I.map(hex).join("")}]`, word: true, fold: false };
    }
    return { k: "atom", src: hex(cp), word: isWordChar(cp, this.f.a), fold: this.f.i };
  }

  /** The body of a group opened by `skip` characters, with the flags restored after it. */
  groupBody(skip: number): Node {
    this.i += skip;
    const saved = { ...this.f };
    const body = this.parseAlt();
    if (this.p[this.i] !== ")") this.invalid("missing ), unterminated subpattern");
    this.i++;
    this.f = saved;
    return body;
  }

  parseGroup(): Node | null {
    const rest = this.p.slice(this.i);
    let m: RegExpExecArray | null;
    if ((m = /^\(\?#[^)]*\)/.exec(rest))) {
      this.i += m[0].length;
      return null;
    }
    if ((m = /^\(\?P<([^>]*)>/.exec(rest))) {
      if (!/^[\p{L}\p{Nl}_][\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]*$/u.test(m[1])) {
        this.invalid(`bad character in group name ${JSON.stringify(m[1])}`);
      }
      return { k: "group", body: this.groupBody(m[0].length) }; // captures: no effect on yes/no
    }
    if (rest.startsWith("(?P=")) this.unsupported("a backreference (?P=name)");
    if (rest.startsWith("(?P")) this.invalid("unknown extension ?P");
    if (rest.startsWith("(?:")) return { k: "group", body: this.groupBody(3) };
    const looks = [["(?=", true, false], ["(?!", true, true], ["(?<=", false, false], [
      "(?<!",
      false,
      true,
    ]] as const;
    for (const [open, ahead, neg] of looks) {
      if (rest.startsWith(open)) {
        if (!ahead) this.lookbehinds = true;
        return { k: "look", ahead, neg, body: this.groupBody(open.length) };
      }
    }
    if (rest.startsWith("(?>")) this.unsupported("an atomic group (?>...)");
    if (rest.startsWith("(?(")) this.unsupported("a conditional group (?(id)yes|no)");
    if ((m = /^\(\?([aiLmsux]*)(?:-([imsx]*))?:/.exec(rest))) {
      // Scoped flags (?i:...), (?-i:...): tracked here, spelled out in what is emitted.
      const on = m[1];
      const off = m[2] ?? "";
      if (/[Lx]/.test(on + off)) this.unsupported(`the inline flag ${m[0]}`);
      this.i += m[0].length;
      const saved = { ...this.f };
      const flags = this.f as unknown as Record<string, boolean>;
      for (const ch of on) if (ch in flags) flags[ch] = true;
      for (const ch of off) flags[ch] = false;
      if (this.f.a && this.f.i) this.unsupported("(?a) together with (?i)");
      const body = this.parseAlt();
      if (this.p[this.i] !== ")") this.invalid("missing ), unterminated subpattern");
      this.i++;
      this.f = saved;
      return { k: "group", body };
    }
    if (/^\(\?[aiLmsux]+\)/.test(rest)) {
      this.invalid("global flags not at the start of the expression");
    }
    if (rest.startsWith("(?")) this.invalid(`unknown extension ${rest.slice(0, 3)}`);
    return { k: "group", body: this.groupBody(1) };
  }

  /** A character escape (valid in and out of classes): its code point, or null for `\letter`. */
  charEscape(inClass: boolean): number | null {
    const p = this.p;
    const n = p[this.i + 1];
    const simple: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11 };
    if (n in simple) {
      this.i += 2;
      return simple[n];
    }
    if (inClass && n === "b") {
      this.i += 2;
      return 8;
    }
    for (const [ch, len] of [["x", 2], ["u", 4], ["U", 8]] as const) {
      if (n !== ch) continue;
      const m = new RegExp(`^[0-9a-fA-F]{${len}}`).exec(p.slice(this.i + 2, this.i + 2 + len));
      if (!m) this.invalid(`incomplete escape \\${ch}`);
      const cp = parseInt(m[0], 16);
      if (cp > 0x10ffff) this.invalid(`bad escape \\${ch}`);
      this.i += 2 + len;
      return cp;
    }
    if (n === "0") {
      const m = /^0[0-7]{0,2}/.exec(p.slice(this.i + 1, this.i + 4))!;
      this.i += 1 + m[0].length;
      return parseInt(m[0], 8);
    }
    if (/[1-9]/.test(n)) {
      // sre_parse: in a class \1-\7 start an octal escape (up to 3 digits); outside one only
      // three octal digits do, anything else is a backreference.
      const octal = (inClass ? /^[0-7]{1,3}/ : /^[0-7]{3}/).exec(p.slice(this.i + 1, this.i + 4));
      if (octal) {
        const cp = parseInt(octal[0], 8);
        if (cp > 0o377) this.invalid(`octal escape value \\${octal[0]} outside of range 0-0o377`);
        this.i += 1 + octal[0].length;
        return cp;
      }
      if (inClass) this.invalid(`bad escape \\${n}`);
      this.unsupported("a backreference");
    }
    if (n === "N") this.unsupported("\\N{...} named characters");
    if (/[A-Za-z]/.test(n)) return null;
    const cp = p.codePointAt(this.i + 1)!;
    this.i += 1 + (cp > 0xffff ? 2 : 1);
    return cp;
  }

  parseEscape(): Node {
    const n = this.p[this.i + 1];
    if (n === undefined) this.invalid("bad escape (end of pattern)");
    const t = this.f.a ? ASCII : UNICODE;
    const classes: Record<string, [string, boolean | undefined]> = {
      d: [`[${t.d}]`, true],
      D: [`[^${t.d}]`, undefined],
      w: [`[${t.w}]`, true],
      W: [`[^${t.w}]`, false],
      s: [`[${t.s}]`, false],
      S: [`[^${t.s}]`, undefined],
    };
    if (n in classes) {
      this.i += 2;
      const [src, word] = classes[n];
      return { k: "atom", src, fold: false, ...(word !== undefined ? { word } : {}) };
    }
    if (n === "A" || n === "Z") {
      this.i += 2;
      return { k: "assert", what: n === "A" ? "A" : "z", ascii: false };
    }
    if (n === "b" || n === "B") {
      this.i += 2;
      return { k: "assert", what: n, ascii: this.f.a };
    }
    const cp = this.charEscape(false);
    if (cp === null) this.invalid(`bad escape \\${n}`);
    return this.literal(cp);
  }

  parseClass(): Node {
    const p = this.p;
    const start = this.i;
    this.i++;
    const negated = p[this.i] === "^";
    if (negated) this.i++;
    const t = this.f.a ? ASCII : UNICODE;
    const sets: string[] = []; // \d \w \s inside the class
    const negatedSets: string[] = []; // \D \W \S inside the class: unions of complements
    const ranges: Array<[number, number]> = [];
    let first = true;
    while (this.i < p.length && (p[this.i] !== "]" || first)) {
      first = false; // a `]` right after `[` or `[^` is a literal
      let lo: number;
      if (p[this.i] === "\\") {
        const n = p[this.i + 1];
        if (n !== undefined && "dwsDWS".includes(n)) {
          this.i += 2;
          const lower = n.toLowerCase() as "d" | "w" | "s";
          (n === lower ? sets : negatedSets).push(t[lower]);
          continue;
        }
        const c = this.charEscape(true);
        if (c === null) this.invalid(`bad escape \\${n}`);
        lo = c;
      } else {
        lo = p.codePointAt(this.i)!;
        this.i += lo > 0xffff ? 2 : 1;
      }
      let hi = lo;
      if (p[this.i] === "-" && p[this.i + 1] !== "]" && this.i + 1 < p.length) {
        this.i++;
        if (p[this.i] === "\\") {
          if ("dwsDWS".includes(p[this.i + 1])) this.invalid("bad character range");
          const c = this.charEscape(true);
          if (c === null) this.invalid(`bad escape \\${p[this.i + 1]}`);
          hi = c;
        } else {
          hi = p.codePointAt(this.i)!;
          this.i += hi > 0xffff ? 2 : 1;
        }
        if (hi < lo) this.invalid("bad character range");
      }
      ranges.push([lo, hi]);
    }
    if (this.i >= p.length) this.invalid(`unterminated character set at position ${start}`);
    this.i++;
    if (this.f.i && ranges.some(([lo, hi]) => TURKISH_I.some((c) => c >= lo && c <= hi))) {
      for (const c of TURKISH_I) ranges.push([c, c]);
    }
    const items = sets.join("") +
      ranges.map(([lo, hi]) => lo === hi ? hex(lo) : `${hex(lo)}-${hex(hi)}`).join("");
    const fold = this.f.i;
    if (negatedSets.length === 0) {
      return { k: "atom", src: `[${negated ? "^" : ""}${items}]`, fold };
    }
    // A class with \W, \S or \D: the union of its items and each complement.
    if (negated) {
      if (items === "" && negatedSets.length === 1) {
        return { k: "atom", src: `[${negatedSets[0]}]`, fold: false }; // [^\W] is \w
      }
      this.unsupported("a negated character class holding \\W, \\S or \\D with other items");
    }
    const alts = negatedSets.map((s) => `[^${s}]`);
    if (items) alts.push(fold ? `(?i:[${items}])` : `[${items}]`);
    return { k: "atom", src: alts.length === 1 ? alts[0] : `(?:${alts.join("|")})`, fold: false };
  }
}

/**
 * Writes `n` as RE2 syntax. `tail`: nothing at all follows `n` in the pattern. `prev`/`next`: the
 * neighbouring node, null at the start/end of the pattern, undefined when unknown (for \b).
 */
function emit(n: Node, tail: boolean, ps: Parser, prev?: Node | null, next?: Node | null): string {
  switch (n.k) {
    case "seq":
      return n.items.map((item, j) =>
        emit(
          item,
          tail && j === n.items.length - 1,
          ps,
          j > 0 ? n.items[j - 1] : prev,
          j < n.items.length - 1 ? n.items[j + 1] : next,
        )
      ).join("");
    case "alt":
      return `(?:${n.alts.map((a) => emit(a, tail, ps, prev, next)).join("|")})`;
    case "atom":
      return n.fold ? `(?i:${n.src})` : n.src;
    case "group":
      return `(?:${emit(n.body, tail, ps, prev, next)})`;
    case "rep": {
      const last = tail && n.max <= 1;
      const body = emit(n.body, last, ps, undefined, last ? null : undefined);
      const q = n.min === 0 && n.max === Infinity
        ? "*"
        : n.min === 1 && n.max === Infinity
        ? "+"
        : n.min === 0 && n.max === 1
        ? "?"
        : n.max === Infinity
        ? `{${n.min},}`
        : n.min === n.max
        ? `{${n.min}}`
        : `{${n.min},${n.max}}`;
      return `(?:${body})${q}`;
    }
    case "look":
      if (n.ahead) ps.unsupported("a lookahead (only leading top-level lookaheads are supported)");
      return `(?<${n.neg ? "!" : "="}${emit(n.body, false, ps, undefined, undefined)})`;
    case "assert":
      return emitAssert(n, tail, ps, prev, next);
  }
}

function emitAssert(
  n: Extract<Node, { k: "assert" }>,
  tail: boolean,
  ps: Parser,
  prev?: Node | null,
  next?: Node | null,
): string {
  switch (n.what) {
    case "A":
      return "\\A";
    case "z":
      return "\\z";
    case "bol_m":
      return "(?m:^)";
    case "eol_m":
      return "(?m:$)";
    case "eol":
      // Python's $ without MULTILINE: the end, or before a final \n. As a consuming `\n?\z` it is
      // exact only when nothing follows (re.match need not reach the end otherwise).
      if (!tail) ps.unsupported("`$` followed by more pattern (only supported at its end)");
      return "(?:\\n?\\z)";
    case "b":
    case "B": {
      if (n.ascii) return n.what === "b" ? "\\b" : "\\B"; // RE2's \b is ASCII: exact under (?a)
      // Unicode \b: whether the neighbours are word characters must be known statically (the
      // previous one may be looked behind at).
      const W = UNICODE.w;
      const prevWord = prev === null ? false : prev?.k === "atom" ? prev.word : undefined;
      const nextWord = next?.k === "atom" ? next.word : undefined;
      const before = (want: boolean) => {
        if (prevWord !== undefined) return prevWord === want ? "" : NEVER;
        ps.lookbehinds = true;
        return want ? `(?<=[${W}])` : `(?<![${W}])`;
      };
      const after = (want: boolean) => {
        if (next === null) {
          if (!tail) ps.unsupported("\\b or \\B before a construct of unknown first character");
          return want ? `[${W}]` : `(?:\\z|[^${W}])`; // consuming is fine: nothing follows
        }
        if (nextWord === undefined) {
          ps.unsupported("\\b or \\B before a construct of unknown first character");
        }
        return nextWord === want ? "" : NEVER;
      };
      const boundary = `(?:${before(true)}${after(false)}|${before(false)}${after(true)})`;
      const inside = `(?:${before(true)}${after(true)}|${before(false)}${after(false)})`;
      return n.what === "b" ? boundary : inside;
    }
  }
}

/** Character matchers of `n` once counted repeats are expanded (what RE2 compiles). */
function programSize(n: Node): number {
  switch (n.k) {
    case "seq":
      return n.items.reduce((t, x) => t + programSize(x), 0);
    case "alt":
      return n.alts.reduce((t, x) => t + programSize(x), 0);
    case "atom":
    case "assert":
      return 1;
    case "group":
    case "look":
      return programSize(n.body);
    case "rep":
      return programSize(n.body) * Math.max(1, n.max === Infinity ? n.min : n.max);
  }
}

/**
 * Compiles a Python regex for `re.match` (see module docs).
 *
 * @param pattern the Python pattern
 * @returns the compiled matcher
 * @throws SpecError for patterns Python rejects, that RE2 cannot express exactly, or that are
 *   longer than {@link MAX_PATTERN_LENGTH}
 *
 * @example
 * ```ts
 * compilePythonRegex("v2[^/]").match("v2:0"); // true
 * compilePythonRegex("v1$").match("v1:0"); // false, as in TF
 * ```
 */
export function compilePythonRegex(pattern: string): PythonRegex {
  checkPatternLength(pattern);
  const flags: Flags = { i: false, m: false, s: false, a: false };
  // Global inline flags must lead the pattern in Python 3.11+: (?aiLmsux)
  const lead = /^\(\?([aiLmsux]+)\)/.exec(pattern);
  if (lead) {
    for (const ch of lead[1]) {
      if (ch === "L" || ch === "x") throw unsupported(pattern, `the inline flag (?${ch})`);
      if (ch !== "u") (flags as unknown as Record<string, boolean>)[ch] = true;
    }
    if (flags.a && flags.i) throw unsupported(pattern, "(?a) together with (?i)");
  }
  const ps = new Parser(pattern, flags);
  ps.i = lead ? lead[0].length : 0;
  const ast = ps.parseAlt();
  if (ps.i < pattern.length) ps.invalid("unbalanced parenthesis");
  const size = Math.max(1, programSize(ast));
  if (size > MAX_PROGRAM_SIZE) {
    throw new SpecError(
      `vars_to_warm_start: the regex ${quotePattern(pattern)} expands to ${size} character ` +
        `matchers (counted repeats expanded), more than ${MAX_PROGRAM_SIZE}`,
      { field: "vars_to_warm_start" },
    );
  }
  // Leading top-level lookaheads at position 0: (?=X)(?!Y)Z == match(X) && !match(Y) && match(Z).
  const parts: Array<{ src: string; neg: boolean }> = [];
  let rest: Node = ast;
  if (ast.k === "seq") {
    const items = ast.items.filter((item, j) =>
      !(item.k === "assert" && item.what === "A" &&
        ast.items.slice(0, j).every((x) => x.k === "assert" && x.what === "A"))
    );
    while (items.length > 0 && items[0].k === "look" && items[0].ahead) {
      const look = items.shift() as Extract<Node, { k: "look" }>;
      parts.push({ src: emit(look.body, true, ps, null, null), neg: look.neg });
    }
    rest = { k: "seq", items };
  }
  parts.push({ src: emit(rest, true, ps, null, null), neg: false });
  const re2Flags = ps.lookbehinds ? RE2JS.LOOKBEHINDS : 0;
  const compiled = parts.map(({ src, neg }) => {
    try {
      return { re: RE2JS.compile(`\\A(?:${src})`, re2Flags), neg };
    } catch (e) {
      const why = String((e as Error).message ?? e).replace(/`[^`]*`$/, "").slice(0, 120);
      throw invalid(pattern, `RE2 refuses it (${why.trim()})`);
    }
  });
  return {
    source: pattern,
    size,
    match: (text: string) => compiled.every(({ re, neg }) => re.test(text) !== neg),
  };
}
