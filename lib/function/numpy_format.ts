/**
 * Tensor values printed the way numpy's `str(array)` prints them (what TensorFlow's
 * `inspect_checkpoint --tensor_name` shows): numpy/_core/arrayprint.py with its defaults
 * (precision 8, floatmode "maxprec", line width 75, summarised above 1000 elements with 3 edge
 * items). Floats use the shortest digits that round-trip in their own dtype (Dragon4 "unique"),
 * positional unless the magnitudes call for scientific notation, padded into aligned columns.
 *
 * @module
 */

/** Values of a supported dtype as JS numbers (or booleans), in row-major order. */
export type Values = { kind: "float"; bits: 16 | 32 | 64; data: number[] } | {
  kind: "int";
  data: (number | bigint)[];
} | { kind: "bool"; data: boolean[] };

const LINE_WIDTH = 75;
const PRECISION = 8;
const THRESHOLD = 1000;
const EDGE = 3;

/**
 * Decodes little-endian tensor bytes of a numeric or bool dtype.
 *
 * @param bytes the tensor's bytes
 * @param dtype `tf.DType.name`
 * @returns the values, or undefined for dtypes numpy-style printing does not cover here
 */
export function decodeValues(bytes: Uint8Array, dtype: string): Values | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read = (size: number, get: (o: number) => number | bigint) =>
    Array.from({ length: Math.floor(bytes.length / size) }, (_, i) => get(i * size));
  switch (dtype) {
    case "float16":
      return { kind: "float", bits: 16, data: read(2, (o) => dv.getFloat16(o, true)) as number[] };
    case "float32":
      return { kind: "float", bits: 32, data: read(4, (o) => dv.getFloat32(o, true)) as number[] };
    case "float64":
      return { kind: "float", bits: 64, data: read(8, (o) => dv.getFloat64(o, true)) as number[] };
    case "int8":
      return { kind: "int", data: read(1, (o) => dv.getInt8(o)) };
    case "uint8":
      return { kind: "int", data: read(1, (o) => dv.getUint8(o)) };
    case "int16":
      return { kind: "int", data: read(2, (o) => dv.getInt16(o, true)) };
    case "uint16":
      return { kind: "int", data: read(2, (o) => dv.getUint16(o, true)) };
    case "int32":
      return { kind: "int", data: read(4, (o) => dv.getInt32(o, true)) };
    case "uint32":
      return { kind: "int", data: read(4, (o) => dv.getUint32(o, true)) };
    case "int64":
      return { kind: "int", data: read(8, (o) => dv.getBigInt64(o, true)) };
    case "uint64":
      return { kind: "int", data: read(8, (o) => dv.getBigUint64(o, true)) };
    case "bool":
      return { kind: "bool", data: Array.from(bytes, (b) => b !== 0) };
    default:
      return undefined;
  }
}

/** Shortest significant digits that round-trip in the float's own width, and the exponent. */
function shortest(x: number, bits: 16 | 32 | 64): { digits: string; exp: number } {
  const round = bits === 16 ? Math.f16round : bits === 32 ? Math.fround : (v: number) => v;
  let s = Math.abs(x).toExponential();
  if (bits !== 64) {
    for (let p = 0; p < 17; p++) {
      const t = Math.abs(x).toExponential(p);
      if (round(Number(t)) === Math.abs(x)) {
        s = t;
        break;
      }
    }
  }
  const [mantissa, e] = s.split("e");
  return { digits: mantissa.replace(".", "").replace(/0+$/, "") || "0", exp: Number(e) };
}

/** Positional digits: `[integer part, fraction]` (fraction trimmed; at most 8 digits). */
function positional(x: number, bits: 16 | 32 | 64): [string, string] {
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  if (x === 0) return [`${sign}0`, ""];
  const { digits, exp } = shortest(x, bits);
  let int: string, frac: string;
  if (digits.length - 1 - exp > PRECISION) {
    [int, frac] = Math.abs(x).toFixed(PRECISION).split(".");
    frac = frac.replace(/0+$/, "");
  } else if (exp >= 0) {
    int = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
    frac = digits.slice(exp + 1);
  } else {
    int = "0";
    frac = "0".repeat(-exp - 1) + digits;
  }
  return [sign + int, frac];
}

/** Scientific digits: `[mantissa integer, mantissa fraction, exponent]`. */
function scientific(x: number, bits: 16 | 32 | 64): [string, string, number] {
  const sign = x < 0 || Object.is(x, -0) ? "-" : "";
  if (x === 0) return [`${sign}0`, "", 0];
  let { digits, exp } = shortest(x, bits);
  if (digits.length - 1 > PRECISION) {
    const [m, e] = Math.abs(x).toExponential(PRECISION).split("e");
    digits = m.replace(".", "").replace(/0+$/, "");
    exp = Number(e);
  }
  return [sign + digits[0], digits.slice(1), exp];
}

/** numpy's FloatingFormat for the (summarised) values: a function formatting one value. */
function floatFormatter(data: number[], bits: 16 | 32 | 64): (x: number) => string {
  const finite = data.filter(Number.isFinite);
  const nonZero = finite.filter((x) => x !== 0).map(Math.abs);
  let exp = false;
  if (nonZero.length > 0) {
    const max = Math.max(...nonZero), min = Math.min(...nonZero);
    exp = max >= 1e8 || min < 0.0001 || max / min > 1000;
  }
  let padLeft = 0, padRight = 0, expSize = 0, precision = 0;
  if (finite.length > 0 && exp) {
    const parts = finite.map((x) => scientific(x, bits));
    precision = Math.max(...parts.map((p) => p[1].length));
    expSize = Math.max(2, ...parts.map((p) => String(Math.abs(p[2])).length));
    padLeft = Math.max(...parts.map((p) => p[0].length));
    padRight = expSize + 2 + precision;
  } else if (finite.length > 0) {
    const parts = finite.map((x) => positional(x, bits));
    padLeft = Math.max(...parts.map((p) => p[0].length));
    padRight = Math.max(...parts.map((p) => p[1].length));
  }
  if (finite.length !== data.length) {
    const negInf = data.some((x) => x === -Infinity) ? 1 : 0;
    padLeft = Math.max(padLeft, 3 - (padRight + 1), 3 + negInf - (padRight + 1));
  }
  return (x) => {
    if (!Number.isFinite(x)) {
      const s = Number.isNaN(x) ? "nan" : x < 0 ? "-inf" : "inf";
      return s.padStart(padLeft + padRight + 1);
    }
    if (exp) {
      // Every mantissa gets `precision` digits: the value's own further digits (Dragon4's
      // min_digits), not zeros.
      let [i, f, e] = scientific(x, bits);
      if (f.length < precision && x !== 0) {
        const [m, ee] = Math.abs(x).toExponential(precision).split("e");
        [i, f, e] = [(x < 0 ? "-" : "") + m[0], m.slice(2), Number(ee)];
      }
      const es = String(Math.abs(e)).padStart(expSize, "0");
      return `${i.padStart(padLeft)}.${f.padEnd(precision, "0")}e${e < 0 ? "-" : "+"}${es}`;
    }
    const [i, f] = positional(x, bits);
    return `${i.padStart(padLeft)}.${f.padEnd(padRight)}`;
  };
}

/** numpy's str() of a 0-d float: positional in [1e-4, 1e16), else scientific; `1.0`, `1e-05`. */
function floatScalar(x: number, bits: 16 | 32 | 64): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  const a = Math.abs(x);
  if (x === 0 || (a >= 1e-4 && a < 1e16)) {
    const { digits, exp } = shortest(x, bits);
    const sign = x < 0 || Object.is(x, -0) ? "-" : "";
    if (x === 0) return `${sign}0.0`;
    if (exp >= 0) {
      const int = digits.slice(0, exp + 1).padEnd(exp + 1, "0");
      return `${sign}${int}.${digits.slice(exp + 1) || "0"}`;
    }
    return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  }
  const { digits, exp } = shortest(x, bits);
  const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${x < 0 ? "-" : ""}${m}e${exp < 0 ? "-" : "+"}${String(Math.abs(exp)).padStart(2, "0")}`;
}

/** Indexes of one axis that are shown (all, or 3 + 3 around "..."). */
function shownIndexes(n: number, summarise: boolean): (number | "...")[] {
  if (!summarise || n <= 2 * EDGE) return Array.from({ length: n }, (_, i) => i);
  return [0, 1, 2, "...", n - 3, n - 2, n - 1];
}

/**
 * Formats values as numpy's `str(array)` does.
 *
 * @param values decoded values ({@link decodeValues})
 * @param shape the tensor's shape
 * @returns the text (no trailing newline)
 */
export function formatArray(values: Values, shape: number[]): string {
  if (shape.length === 0) {
    const x = values.data[0];
    if (values.kind === "float") return floatScalar(x as number, values.bits);
    return values.kind === "bool" ? (x ? "True" : "False") : String(x);
  }
  const size = shape.reduce((a, b) => a * b, 1);
  const summarise = size > THRESHOLD;
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  // The values the format is fitted to: those shown.
  const shown: number[] = [];
  const collect = (axis: number, offset: number) => {
    if (axis === shape.length) return void shown.push(offset);
    for (const i of shownIndexes(shape[axis], summarise)) {
      if (i !== "...") collect(axis + 1, offset + i * strides[axis]);
    }
  };
  if (size > 0) collect(0, 0);
  let fmt: (i: number) => string;
  if (values.kind === "float") {
    const f = floatFormatter(shown.map((i) => values.data[i]), values.bits);
    fmt = (i) => f(values.data[i]);
  } else if (values.kind === "bool") {
    fmt = (i) => (values.data[i] ? " True" : "False");
  } else {
    const width = Math.max(0, ...shown.map((i) => String(values.data[i]).length));
    fmt = (i) => String(values.data[i]).padStart(width);
  }

  const extend = (s: string, line: string, word: string, width: number, indent: string) => {
    let needsWrap = line.length + word.length > width;
    if (line.length <= indent.length) needsWrap = false;
    if (needsWrap) {
      s += line.trimEnd() + "\n";
      line = indent;
    }
    return [s, line + word];
  };
  const recurse = (axis: number, offset: number, indent: string, width: number): string => {
    const nextIndent = indent + " ";
    const nextWidth = width - 1;
    const items = shownIndexes(shape[axis], summarise);
    let s = "";
    if (axis === shape.length - 1) {
      const elemWidth = width - 1;
      let line = indent;
      items.forEach((i, k) => {
        const word = i === "..." ? "..." : fmt(offset + i * strides[axis]);
        [s, line] = extend(s, line, word, elemWidth, indent);
        if (k < items.length - 1) line += " ";
      });
      s += line;
    } else {
      const sep = "\n".repeat(shape.length - axis - 1);
      items.forEach((i, k) => {
        const nested = i === "..."
          ? "..."
          : recurse(axis + 1, offset + i * strides[axis], nextIndent, nextWidth);
        s += indent + nested + (k < items.length - 1 ? sep : "");
      });
    }
    return "[" + s.slice(indent.length) + "]";
  };
  return recurse(0, 0, " ", LINE_WIDTH);
}
