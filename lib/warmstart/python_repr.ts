/**
 * Python reprs used in TF's error messages, so our messages read like TF's.
 *
 * @module
 */

/** `str(TensorShape)`: `(4, 1)`, `(4,)`, `()`. */
export function tensorShapeRepr(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/** A Python list of ints: `[4, 1]`. */
export function listRepr(shape: number[]): string {
  return `[${shape.join(", ")}]`;
}

/** A Python string repr: `'name'`. */
export function strRepr(s: string): string {
  return `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** A Python set of strings: `{'a', 'b'}` (sorted for stable messages). */
export function setRepr(items: Iterable<string>): string {
  return `{${[...items].sort().map(strRepr).join(", ")}}`;
}

/** `dict_keys([...])`. */
export function dictKeysRepr(items: Iterable<string>): string {
  return `dict_keys([${[...items].map(strRepr).join(", ")}])`;
}
