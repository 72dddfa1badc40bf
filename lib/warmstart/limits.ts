/**
 * Caps on what a job reads whole: inputs that are small by nature are refused above their cap
 * before a byte of them is read (a stat first), so one request cannot make the process hold an
 * arbitrarily large file. Everything else a job reads is streamed within its tuning budget.
 *
 * @module
 */
import { MAX_INDEX_BYTES, MAX_OBJECT_GRAPH_BYTES } from "../checkpoint/mod.ts";

/** The caps of one job. */
export interface InputLimits {
  /**
   * Largest `.index` of OLD or NEW (default 64 MiB, about a million tensors): it is read whole
   * and decoded into the plan.
   */
  maxIndexBytes: number;
  /**
   * Largest NEW `.meta` (TF1 MetaGraphDef, default 64 MiB): read whole to find the trainable
   * variables; also the cap of a TF2 object graph.
   */
  maxMetaBytes: number;
}

/** The defaults (see {@link InputLimits}). */
export const DEFAULT_LIMITS: Readonly<InputLimits> = {
  maxIndexBytes: MAX_INDEX_BYTES,
  maxMetaBytes: MAX_OBJECT_GRAPH_BYTES,
};
