/**
 * The graph names of a TF1 MetaGraphDef's variables (the `variables` collection = GLOBAL_VARIABLES),
 * with the full name of each partition. A checkpoint alone cannot tell that a variable was created
 * with a one-part partitioner (TF stores the single part as a plain tensor), yet TF's warm_start
 * matches regexes against the part's graph name `<name>/part_0:0`; the `.meta` can tell.
 *
 * @module
 */
import { CorruptCheckpointError } from "./errors.ts";
import { ProtoTypes } from "./proto_schema.ts";

/** A variable (or one partition of one) as the graph names it. */
export interface GraphVariable {
  /** Op name, e.g. `emb/part_0` or `dense/kernel` (no `:0`). */
  name: string;
  /** Full variable name for partitions (save_slice_info_def.full_name), else undefined. */
  fullName?: string;
}

interface DecodedMetaGraph {
  collectionDef?: Record<string, { bytesList?: { value?: Uint8Array[] } }>;
}

/**
 * Variables of one collection of a MetaGraphDef (default `variables`), in collection order.
 */
export function readGraphVariables(
  metaGraphBytes: Uint8Array,
  collection = "variables",
  location?: string,
): GraphVariable[] {
  try {
    const meta = ProtoTypes.MetaGraphDef.decode(metaGraphBytes) as unknown as DecodedMetaGraph;
    const values = meta.collectionDef?.[collection]?.bytesList?.value ?? [];
    return values.map((bytes) => {
      const v = ProtoTypes.VariableDef.decode(bytes) as unknown as {
        variableName?: string;
        saveSliceInfoDef?: { fullName?: string };
      };
      const name = (v.variableName ?? "").replace(/:\d+$/, "");
      const fullName = v.saveSliceInfoDef?.fullName;
      return fullName ? { name, fullName } : { name };
    });
  } catch (e) {
    throw new CorruptCheckpointError(
      `MetaGraphDef ${location ?? ""} is not parseable: ${(e as Error).message}`,
      { location },
    );
  }
}
