import assert from "node:assert/strict";
import {
  decodeObjectGraph,
  encodeObjectGraph,
  OBJECT_GRAPH_KEY,
} from "../../lib/checkpoint/object_graph.ts";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { readTensor } from "../../lib/checkpoint/slice_reader.ts";
import { decodeStringTensor } from "../../lib/checkpoint/string_tensor.ts";
import { localStore } from "../_stores.ts";
import { fixturePath, manifest } from "./_fixtures.ts";

/** protobuf's MessageToDict of the same graph, with defaults filled in like our decoder. */
// deno-lint-ignore no-explicit-any
function normalize(d: any) {
  // deno-lint-ignore no-explicit-any
  return d.nodes.map((n: any) => {
    const node: Record<string, unknown> = {
      // deno-lint-ignore no-explicit-any
      children: (n.children ?? []).map((c: any) => ({
        nodeId: c.nodeId ?? 0,
        localName: c.localName ?? "",
      })),
      // deno-lint-ignore no-explicit-any
      attributes: (n.attributes ?? []).map((a: any) => ({
        name: a.name ?? "",
        fullName: a.fullName ?? "",
        checkpointKey: a.checkpointKey ?? "",
      })),
      // deno-lint-ignore no-explicit-any
      slotVariables: (n.slotVariables ?? []).map((s: any) => ({
        originalVariableNodeId: s.originalVariableNodeId ?? 0,
        slotName: s.slotName ?? "",
        slotVariableNodeId: s.slotVariableNodeId ?? 0,
      })),
    };
    if (n.registeredSaver) node.registeredSaver = n.registeredSaver;
    if (n.hasCheckpointValues !== undefined) node.hasCheckpointValues = n.hasCheckpointValues;
    return node;
  });
}

Deno.test("decodeObjectGraph equals TF's own parse; encodeObjectGraph gives back TF's bytes", async () => {
  const store = localStore();
  const index = await readBundleIndex(store, fixturePath(manifest.fixtures.tf2.prefix));
  const payload = await readTensor(store, index, OBJECT_GRAPH_KEY);
  const [bytes] = decodeStringTensor(payload, 1);
  const graph = decodeObjectGraph(bytes);
  assert.deepEqual(graph.nodes, normalize(manifest.fixtures.tf2.object_graph));
  assert.deepEqual(encodeObjectGraph(graph), bytes);
  // The optimizer slot is there.
  const slots = graph.nodes.flatMap((n) => n.slotVariables);
  assert.deepEqual(slots.map((s) => s.slotName).sort(), ["momentum", "momentum"]);
  const keys = graph.nodes.flatMap((n) => n.attributes.map((a) => a.checkpointKey));
  assert.ok(
    keys.includes("model/dense_w/.OPTIMIZER_SLOT/optimizer/momentum/.ATTRIBUTES/VARIABLE_VALUE"),
  );
});
