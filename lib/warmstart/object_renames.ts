/**
 * Renames for an object-based (TF2) OLD checkpoint, as TF's `_get_object_checkpoint_renames`
 * (tensorflow/python/training/warm_starting_util.py) makes them: the variables selected in NEW
 * are looked up by their graph name in OLD's object graph, which gives the checkpoint key
 * (`<path>/.ATTRIBUTES/VARIABLE_VALUE`) their values are stored under.
 *
 * @module
 */
import { type ObjectGraph, VARIABLE_VALUE_SUFFIX } from "../checkpoint/mod.ts";
import { SettingsError } from "./errors.ts";
import { setRepr } from "./python_repr.ts";

/**
 * OLD's checkpoint key of every variable, by `full_name` (later attributes win, as in TF). When
 * NEW is object-based too, its variables may be named by object path (see new_model.ts), so
 * object paths are keys as well.
 *
 * @param graph OLD's object graph
 * @param newIsObjectBased whether NEW names variables by object path where full names repeat
 * @returns full name (or object path) -> OLD checkpoint key
 */
export function oldCheckpointKeys(
  graph: ObjectGraph,
  newIsObjectBased: boolean,
): Map<string, string> {
  const keys = new Map<string, string>();
  for (const node of graph.nodes) {
    for (const a of node.attributes) keys.set(a.fullName, a.checkpointKey);
  }
  if (newIsObjectBased) {
    for (const node of graph.nodes) {
      for (const a of node.attributes) {
        if (!a.checkpointKey.endsWith(VARIABLE_VALUE_SUFFIX)) continue;
        const path = a.checkpointKey.slice(0, -VARIABLE_VALUE_SUFFIX.length);
        if (!keys.has(path)) keys.set(path, a.checkpointKey);
      }
    }
  }
  return keys;
}

/**
 * TF's renames for the selected variables: every one must be in OLD's object graph.
 *
 * @param names the selected variables' names
 * @param keys OLD's checkpoint keys by name ({@link oldCheckpointKeys})
 * @returns `var_name_to_prev_var_name` as TF computes it
 * @throws SettingsError (TF's ValueError) naming the missing variables
 */
export function objectGraphRenames(
  names: string[],
  keys: Map<string, string>,
): Record<string, string> {
  const missing = names.filter((n) => !keys.has(n));
  if (missing.length > 0) {
    throw new SettingsError(
      "Attempting to warm-start from an object-based checkpoint, but found that the checkpoint " +
        "did not contain values for all variables. The following variables were missing: " +
        setRepr(missing),
    );
  }
  return Object.fromEntries(names.map((n) => [n, keys.get(n)!]));
}
