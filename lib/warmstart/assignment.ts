/**
 * What the warm-start paths decide for one part of a NEW variable.
 *
 * @module
 */
import { dtypeName } from "../checkpoint/mod.ts";
import { SettingsError } from "./errors.ts";
import type { ModelPart } from "./model_variables.ts";
import type { Segment } from "./plan.ts";

/** New contents for one part (or the whole unpartitioned variable). */
export interface PartAssignment {
  part: ModelPart;
  segments: Segment[];
  /** Masked CRC32C when the bytes are a verbatim stored tensor. */
  crc32c?: number;
  /** OLD key the values come from. */
  source: string;
}

/** Vocabulary statistics of one variable. */
export interface VocabStats {
  axis: 0 | 1;
  matched: number;
  new: number;
  oov: number;
}

/**
 * Collects TF's errors that happen only when the initialisers RUN (after warm_start returned, so
 * after its "unused" checks): the first is thrown once planning is complete.
 */
export class DeferredErrors {
  #first: SettingsError | undefined;

  /** Records an error; only the first one is kept. */
  add(error: SettingsError): void {
    this.#first ??= error;
  }

  /** Runs `fn`; a SettingsError it throws is deferred and `undefined` returned. */
  async capture<T>(fn: () => Promise<T> | T): Promise<T | undefined> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof SettingsError) {
        this.add(e);
        return undefined;
      }
      throw e;
    }
  }

  /** Throws the first deferred error, if any. */
  throwIfAny(): void {
    if (this.#first) throw this.#first;
  }
}

/** C++ DataTypeString names used in TF's run-time messages ("float", "double", ...). */
export function cppDtypeName(dtype: number): string {
  const name = dtypeName(dtype);
  return name === "float32"
    ? "float"
    : name === "float64"
    ? "double"
    : name === "float16"
    ? "half"
    : name;
}
