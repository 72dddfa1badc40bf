/**
 * Which NEW variables are trainable (TF's string and `null` forms of `vars_to_warm_start` search
 * only TRAINABLE_VARIABLES). Sources, first that applies: the spec's `trainable_variables`; the
 * NEW checkpoint's `.meta` (MetaGraphDef collection); for TF2 object-based checkpoints the object
 * graph (slot variables, the optimizer's objects and save_counter are not trainable); and always
 * the name rules below for what is never trainable.
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

/**
 * Checkpoint keys of the object graph that belong to non-trainable objects: slot variables,
 * everything reachable only through the root's `optimizer` child, and `save_counter`.
 */
export function nonTrainableKeysFromObjectGraph(graph: ObjectGraph): Set<string> {
  const excluded = new Set<number>();
  for (const node of graph.nodes) {
    for (const slot of node.slotVariables) excluded.add(slot.slotVariableNodeId);
  }
  const root = graph.nodes[0];
  const optimizerRoots = (root?.children ?? []).filter((c) =>
    c.localName === "optimizer" || c.localName === "save_counter"
  ).map((c) => c.nodeId);
  // Nodes reachable from the root without passing through the optimizer are model objects.
  const modelNodes = new Set<number>([0]);
  const queue = [0];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const child of graph.nodes[id]?.children ?? []) {
      if (id === 0 && optimizerRoots.includes(child.nodeId)) continue;
      if (!modelNodes.has(child.nodeId)) {
        modelNodes.add(child.nodeId);
        queue.push(child.nodeId);
      }
    }
  }
  const keys = new Set<string>();
  graph.nodes.forEach((node, id) => {
    if (modelNodes.has(id) && !excluded.has(id)) return;
    for (const attr of node.attributes) keys.add(attr.checkpointKey);
  });
  return keys;
}
