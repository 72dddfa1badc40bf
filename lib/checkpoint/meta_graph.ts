/**
 * Just enough of a TF1 MetaGraphDef (`<prefix>.meta`): the `trainable_variables` collection, whose
 * bytes_list values are serialized VariableDef protos. Partitioned variables (parts with a
 * save_slice_info_def) are reported once under their full name, in first-seen order.
 *
 * @module
 */
import { CorruptCheckpointError } from "./errors.ts";
import { ProtoTypes } from "./proto_schema.ts";

/** Name of the collection holding trainable variables (tf.GraphKeys.TRAINABLE_VARIABLES). */
export const TRAINABLE_VARIABLES_COLLECTION = "trainable_variables";

interface DecodedMetaGraph {
  collectionDef?: Record<string, { bytesList?: { value?: Uint8Array[] } }>;
}
interface DecodedVariableDef {
  variableName?: string;
  saveSliceInfoDef?: { fullName?: string };
}

/** Strips a trailing output index (`:0`) from a tensor name. */
function opName(tensorName: string): string {
  return tensorName.replace(/:\d+$/, "");
}

/**
 * Checkpoint names of the trainable variables of a TF1 MetaGraphDef, in collection order; an
 * empty list when the collection is absent. Throws CorruptCheckpointError for unparseable bytes.
 */
export function readTrainableVariables(metaGraphBytes: Uint8Array, location?: string): string[] {
  let meta: DecodedMetaGraph;
  try {
    meta = ProtoTypes.MetaGraphDef.decode(metaGraphBytes) as unknown as DecodedMetaGraph;
  } catch (e) {
    throw new CorruptCheckpointError(
      `MetaGraphDef ${location ?? ""} is not parseable: ${(e as Error).message}`,
      { location },
    );
  }
  const values = meta.collectionDef?.[TRAINABLE_VARIABLES_COLLECTION]?.bytesList?.value ?? [];
  const names: string[] = [];
  const seen = new Set<string>();
  for (const bytes of values) {
    let v: DecodedVariableDef;
    try {
      v = ProtoTypes.VariableDef.decode(bytes) as unknown as DecodedVariableDef;
    } catch (e) {
      throw new CorruptCheckpointError(
        `VariableDef in ${location ?? "MetaGraphDef"} is not parseable: ${(e as Error).message}`,
        { location, key: TRAINABLE_VARIABLES_COLLECTION },
      );
    }
    const full = v.saveSliceInfoDef?.fullName;
    const name = full ? full : opName(v.variableName ?? "");
    if (name !== "" && !seen.has(name)) {
      seen.add(name);
      names.push(name);
    }
  }
  return names;
}
