/**
 * `vars_to_warm_start` -> the ordered groups TF's warm_start iterates over.
 *
 * TF matches `re.match(pattern, item.name)` where item.name is the tensor name: `<name>:0`, or
 * `<name>/part_<i>:0` for a partition; the string and null forms search TRAINABLE_VARIABLES, the
 * list-of-regex form GLOBAL_VARIABLES (matches concatenated in pattern order, duplicates kept).
 * Items are grouped under their full variable name, groups in first-seen order.
 *
 * @module
 */
import { SpecError } from "./errors.ts";
import type { ModelPart, ModelVariable } from "./model_variables.ts";
import {
  compilePythonRegex,
  MAX_MATCH_COST,
  type PythonRegex,
  quotePattern,
} from "./python_regex.ts";
import type { VarsToWarmStart } from "./types.ts";

/** A group: one variable and the selected parts of it (all parts in the common case). */
export interface VariableGroup {
  name: string;
  variable: ModelVariable;
  /** Selected parts in collection order; for an unpartitioned variable its single "part". */
  parts: ModelPart[];
}

/** Result of selection. */
export interface Selection {
  groups: VariableGroup[];
  /** Python truthiness of `vars_to_warm_start`: falsy forms warm-start only VocabInfo variables. */
  truthy: boolean;
}

interface Item {
  variable: ModelVariable;
  part: ModelPart;
}

function itemsOf(variables: ModelVariable[]): Item[] {
  return variables.flatMap((variable) => variable.parts.map((part) => ({ variable, part })));
}

function tensorName(item: Item): string {
  return `${item.part.name}:0`;
}

/** Time matching may hold the thread before it yields to other requests (ms). */
const SLICE_MS = 10;

/**
 * The items `re` matches (re.match on each tensor name), yielding to the event loop every
 * {@link SLICE_MS} so a costly pattern over many names never blocks other requests, and
 * stopping when `signal` aborts. One match is bounded by {@link MAX_MATCH_COST}.
 */
async function matching(re: PythonRegex, items: Item[], signal?: AbortSignal): Promise<Item[]> {
  const out: Item[] = [];
  let slice = performance.now();
  for (const item of items) {
    const name = tensorName(item);
    if (name.length * re.size > MAX_MATCH_COST) {
      throw new SpecError(
        `vars_to_warm_start: the regex ${quotePattern(re.source)} is too large to match ` +
          `variable names of ${name.length} characters (program size ${re.size} × name length ` +
          `above ${MAX_MATCH_COST}); simplify it`,
        { field: "vars_to_warm_start" },
      );
    }
    if (re.match(name)) out.push(item);
    if (performance.now() - slice > SLICE_MS) {
      await new Promise((r) => setTimeout(r, 0));
      signal?.throwIfAborted();
      slice = performance.now();
    }
  }
  return out;
}

/**
 * Applies the selection form to the NEW model's variables.
 *
 * @param variables NEW's variables
 * @param form the spec's `vars_to_warm_start`
 * @param signal stops a long match
 */
export async function selectVariables(
  variables: ModelVariable[],
  form: VarsToWarmStart,
  signal?: AbortSignal,
): Promise<Selection> {
  let items: Item[];
  let truthy: boolean;
  switch (form.kind) {
    case "regex": {
      const re = compilePythonRegex(form.pattern);
      items = await matching(re, itemsOf(variables.filter((v) => v.trainable)), signal);
      truthy = form.pattern !== "";
      break;
    }
    case "none":
      items = itemsOf(variables.filter((v) => v.trainable));
      truthy = false;
      break;
    case "regex_list": {
      const all = itemsOf(variables);
      items = [];
      for (const p of form.patterns) {
        items.push(...await matching(compilePythonRegex(p), all, signal));
      }
      truthy = form.patterns.length > 0;
      break;
    }
    case "variables": {
      items = form.names.flatMap((name) => itemsByName(variables, name));
      truthy = form.names.length > 0;
      break;
    }
  }
  return { groups: groupItems(items), truthy };
}

/** The list-of-Variables form: a variable name (all its parts) or one part's name. */
function itemsByName(variables: ModelVariable[], name: string): Item[] {
  for (const variable of variables) {
    if (variable.name === name) return variable.parts.map((part) => ({ variable, part }));
    const part = variable.parts.find((p) => p.name === name);
    if (part && variable.partitioned) return [{ variable, part }];
  }
  throw new SpecError(
    `vars_to_warm_start.variables names "${name}", which is not a variable of the NEW ` +
      "checkpoint (use a variable's full name, or <name>/part_<i> for one partition)",
    { field: "vars_to_warm_start.variables" },
  );
}

function groupItems(items: Item[]): VariableGroup[] {
  const groups = new Map<string, VariableGroup>();
  for (const item of items) {
    const name = item.variable.name;
    const group = groups.get(name);
    if (!group) {
      groups.set(name, { name, variable: item.variable, parts: [item.part] });
      continue;
    }
    // Overlapping regexes select an item twice; TF keeps the repeat (see copy_path.ts).
    group.parts.push(item.part);
  }
  return [...groups.values()];
}
