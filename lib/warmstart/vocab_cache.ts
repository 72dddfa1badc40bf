/**
 * The vocabulary files of one job: each (NEW file, OLD file, old vocab size) is joined once,
 * however many variables and partitions use it. Files are streamed through the job's store;
 * what is kept is one Int32 per NEW line (vocab_index.ts).
 *
 * @module
 */
import { type JoinOptions, joinVocabularies, type VocabRemapping } from "./vocab_index.ts";
import type { VocabSource } from "./vocab_file.ts";

/** Joins vocabularies for the planner. */
export interface VocabularyCache {
  /** NEW line -> OLD line, for every line of `newLocation` and the first `oldVocabSize` of `oldLocation`. */
  remapping(
    newLocation: string,
    oldLocation: string,
    oldVocabSize: number,
  ): Promise<VocabRemapping>;
}

/**
 * A cache over `store` for one job.
 *
 * @param store the job's store
 * @param options the memory budget of a join partition, the read size, and where a join of
 *   several partitions spills its tokens
 * @returns the cache
 */
export function vocabularyCache(store: VocabSource, options: JoinOptions = {}): VocabularyCache {
  const joins = new Map<string, Promise<VocabRemapping>>();
  return {
    remapping(newLocation, oldLocation, oldVocabSize) {
      const key = JSON.stringify([newLocation, oldLocation, oldVocabSize]);
      let value = joins.get(key);
      if (!value) {
        // Each join's spilled tokens have names of their own.
        value = joinVocabularies(store, newLocation, oldLocation, oldVocabSize, {
          ...options,
          spillName: `join-${joins.size}`,
        });
        joins.set(key, value);
      }
      return value;
    },
  };
}
