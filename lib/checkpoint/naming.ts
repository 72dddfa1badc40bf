/**
 * File names of a bundle (tensorflow/core/util/tensor_bundle/naming.cc).
 *
 * @module
 */

/** `<prefix>.index`. */
export function indexLocation(prefix: string): string {
  return `${prefix}.index`;
}

/** `<prefix>.data-00000-of-00001` style name of data shard `shardId` of `numShards`. */
export function dataLocation(prefix: string, shardId: number, numShards: number): string {
  const pad = (n: number) => String(n).padStart(5, "0");
  return `${prefix}.data-${pad(shardId)}-of-${pad(numShards)}`;
}

/** `<prefix>.meta` (TF1 MetaGraphDef). */
export function metaGraphLocation(prefix: string): string {
  return `${prefix}.meta`;
}
