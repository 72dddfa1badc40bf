/**
 * Which NEW variables are trainable (TF's string and `null` forms of `vars_to_warm_start` search
 * only TRAINABLE_VARIABLES). Sources, first that applies: the spec's `trainable_variables`; the
 * NEW checkpoint's `.meta` (MetaGraphDef collection); for TF2 object-based checkpoints the object
 * graph (below); and always the name rules for what is never trainable.
 *
 * The object graph has no trainable flag, so it is read the way Keras and tf.train.Checkpoint lay
 * it out (checked on Keras 3, tf-keras with its current and legacy optimizers, and tf.Module):
 *
 * 1. Optimizer nodes: the target of any child edge named `optimizer` (the root's, or the model's
 *    in Keras 3, which nests the optimizer under the model), a node with `slot_variables`
 *    (optimizer_v2), or a node with an `_iterations` / `iter` child.
 * 2. Model variables: variables reached from the root without entering an optimizer node or the
 *    root's `save_counter`. Everything else (iterations, learning rate, beta_*, slots, counters) is
 *    optimizer state, never trainable. Keras 3 keys model variables under
 *    `model/optimizer/_trainable_variables/N` (TF names a variable by its shortest path), but they
 *    are reached through the model's layers too.
 * 3. Trainable evidence, when the optimizer was built: the children of a Keras 3 optimizer's
 *    `_trainable_variables`, the variables an optimizer_v2 slot belongs to, and the variables named
 *    by a tf-keras slot's full name (`<Optimizer>/<slot>/<variable>`). With evidence, model
 *    variables without it (batch-norm moving statistics, step counters of a Module) are not
 *    trainable; without it every model variable is (the name rules still apply).
 *
 * @module
 */
import type { ObjectGraph } from "../checkpoint/mod.ts";

/** Names TF never puts in TRAINABLE_VARIABLES: step counters, batch-norm statistics. */
const NON_TRAINABLE_LEAF =
  /(^|\/)(global_step|moving_mean|moving_variance|save_counter|beta1_power|beta2_power|iterations)$/;

/** Optimizer slot variables of TF1 name-based checkpoints (`<var>/<Slot>`). */
const SLOT_SUFFIX =
  /\/(Momentum|Adam|Adam_1|Adagrad|AdagradDA|RMSProp|RMSProp_1|Ftrl|Ftrl_1|Adadelta|Adadelta_1|ProximalAdagrad|ExponentialMovingAverage)$/;

/** True when a name alone says the variable is not trainable. */
export function isNonTrainableByName(name: string): boolean {
  return NON_TRAINABLE_LEAF.test(name) || SLOT_SUFFIX.test(name) ||
    name.includes("/.OPTIMIZER_SLOT/");
}

/** Children that mark a node as an optimizer (Keras 3 / new tf-keras, and optimizer_v2). */
const OPTIMIZER_MARKERS = new Set(["_iterations", "iter"]);

/** A tf-keras optimizer variable's full name: `<Optimizer>/<slot>/<variable full name>`. */
const TF_KERAS_SLOT = /^[^/]+\/[^/]+\/(.+)$/;

/** How the object graph classifies the variables (see the module doc). */
export interface ObjectGraphTrainability {
  /** Checkpoint keys of the trainable variables. */
  trainableKeys: Set<string>;
  /** Whether a built optimizer said which variables it trains. */
  evidence: boolean;
}

/**
 * Classifies the variables of an object graph (module doc, rules 1-3).
 *
 * @param graph NEW's object graph
 * @returns the keys of the trainable variables
 */
export function trainableFromObjectGraph(graph: ObjectGraph): ObjectGraphTrainability {
  const nodes = graph.nodes;
  const variable = new Map<number, { fullName: string; key: string }>();
  nodes.forEach((n, id) => {
    const a = n.attributes.find((a) => a.name === "VARIABLE_VALUE");
    if (a) variable.set(id, { fullName: a.fullName, key: a.checkpointKey });
  });
  const optimizers = new Set<number>();
  const slots = new Set<number>();
  nodes.forEach((n, id) => {
    if (n.slotVariables.length > 0 || n.children.some((c) => OPTIMIZER_MARKERS.has(c.localName))) {
      optimizers.add(id);
    }
    for (const c of n.children) if (c.localName === "optimizer") optimizers.add(c.nodeId);
    for (const s of n.slotVariables) slots.add(s.slotVariableNodeId);
  });
  const blocked = new Set(optimizers);
  for (const c of nodes[0]?.children ?? []) {
    if (c.localName === "save_counter") blocked.add(c.nodeId);
  }

  // Rule 2: breadth-first from the root, never entering an optimizer or counter.
  const seen = new Set<number>([0]);
  const queue = [0];
  const model = new Set<number>();
  for (let i = 0; i < queue.length; i++) {
    for (const c of nodes[queue[i]]?.children ?? []) {
      if (seen.has(c.nodeId) || blocked.has(c.nodeId)) continue;
      seen.add(c.nodeId);
      queue.push(c.nodeId);
      if (variable.has(c.nodeId) && !slots.has(c.nodeId)) model.add(c.nodeId);
    }
  }

  // Rule 3: what a built optimizer trains.
  const evidence = new Set<number>();
  for (const id of optimizers) {
    for (const c of nodes[id]?.children ?? []) {
      if (c.localName !== "_trainable_variables") continue;
      for (const v of nodes[c.nodeId]?.children ?? []) evidence.add(v.nodeId);
    }
    for (const s of nodes[id]?.slotVariables ?? []) evidence.add(s.originalVariableNodeId);
  }
  const modelByName = new Map([...model].map((id) => [variable.get(id)!.fullName, id]));
  for (const [id, v] of variable) {
    if (model.has(id)) continue;
    const target = TF_KERAS_SLOT.exec(v.fullName)?.[1];
    const node = target === undefined ? undefined : modelByName.get(target);
    if (node !== undefined) evidence.add(node);
  }
  const trained = [...model].filter((id) => evidence.has(id));
  const chosen = trained.length > 0 ? trained : [...model];
  return {
    trainableKeys: new Set(chosen.map((id) => variable.get(id)!.key)),
    evidence: trained.length > 0,
  };
}
