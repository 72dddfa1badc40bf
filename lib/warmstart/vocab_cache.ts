/**
 * The vocabulary files of one job: each file is read, parsed and (for old vocabularies) indexed
 * once, however many variables and partitions use it.
 *
 * @module
 */
import { ObjectNotFoundError, type Store } from "../storage/mod.ts";
import { SettingsError } from "./errors.ts";
import { parseVocabulary, type Vocabulary, VocabularyIndex } from "./vocab_file.ts";

/** Reads vocabularies for the planner. */
export interface VocabularyCache {
  /** A vocabulary file's first `vocabSize` tokens (-1: all). */
  readVocabulary(location: string, vocabSize: number): Promise<Vocabulary>;
  /** The token index of an old vocabulary's first `vocabSize` tokens (-1: all). */
  indexVocabulary(location: string, vocabSize: number): Promise<VocabularyIndex>;
}

/**
 * A cache over `store` for one job.
 *
 * @param store the job's store
 * @returns the cache
 */
export function vocabularyCache(store: Store): VocabularyCache {
  const vocabularies = new Map<string, Promise<Vocabulary>>();
  const indexes = new Map<string, Promise<VocabularyIndex>>();
  const once = <T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>) => {
    let value = cache.get(key);
    if (!value) cache.set(key, value = make());
    return value;
  };
  const readVocabulary = (location: string, vocabSize: number) =>
    once(vocabularies, `${vocabSize}\u0000${location}`, () => read(store, location, vocabSize));
  return {
    readVocabulary,
    indexVocabulary: (location, vocabSize) =>
      once(
        indexes,
        `${vocabSize}\u0000${location}`,
        async () => new VocabularyIndex(await readVocabulary(location, vocabSize)),
      ),
  };
}

async function read(store: Store, location: string, size: number): Promise<Vocabulary> {
  let bytes: Uint8Array;
  try {
    bytes = await store.read(location);
  } catch (e) {
    if (e instanceof ObjectNotFoundError) {
      // TF's message: the vocabulary file does not exist when the lookup table initialises.
      throw new SettingsError(`${location}; No such file or directory (vocabulary file)`, {
        field: location,
      });
    }
    throw e;
  }
  return parseVocabulary(bytes, location, size);
}
