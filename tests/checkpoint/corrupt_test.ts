import assert from "node:assert/strict";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { readTensor } from "../../lib/checkpoint/slice_reader.ts";
import {
  CheckpointError,
  CorruptCheckpointError,
  UnsupportedError,
} from "../../lib/checkpoint/errors.ts";
import { ObjectNotFoundError } from "../../lib/storage/errors.ts";
import { type CorruptCase, fixturePath, manifest } from "./_fixtures.ts";
import { localStore } from "../_stores.ts";

type ErrorClass =
  | typeof CorruptCheckpointError
  | typeof ObjectNotFoundError
  | typeof UnsupportedError;

/** What each TF-derived corrupt variant must produce. */
const EXPECT: Record<
  string,
  { cls: ErrorClass; message: RegExp; check?: (e: CheckpointError) => void }
> = {
  short_index: {
    cls: CorruptCheckpointError,
    message: /too short to be an sstable/,
    check: (e) => assert.deepEqual([e.expected, e.actual], [48, 40]),
  },
  bad_magic: { cls: CorruptCheckpointError, message: /bad magic number/ },
  truncated_footer: { cls: CorruptCheckpointError, message: /bad magic number/ },
  truncated_blocks: { cls: CorruptCheckpointError, message: /Truncated block read/ },
  data_block_flip: { cls: CorruptCheckpointError, message: /Block checksum mismatch: data block/ },
  index_block_flip: {
    cls: CorruptCheckpointError,
    message: /Block checksum mismatch: index block/,
  },
  trailer_flip: { cls: CorruptCheckpointError, message: /Block checksum mismatch: index block/ },
  bad_block_type: {
    cls: CorruptCheckpointError,
    message: /Bad block type 2/,
    check: (e) => assert.equal(e.actual, 2),
  },
  missing_header: {
    cls: CorruptCheckpointError,
    message: /Missing header entry/,
    check: (e) => assert.equal(e.key, ""),
  },
  unsorted_keys: {
    cls: CorruptCheckpointError,
    message: /not sorted|not within its index separator/,
  },
  min_consumer: {
    cls: UnsupportedError,
    message: /min consumer version 2 above current version 1/,
    check: (e) => assert.equal(e.actual, 2),
  },
  bad_consumers: { cls: UnsupportedError, message: /disallows consumer version 1/ },
  big_endian: { cls: UnsupportedError, message: /big-endian/ },
  bad_entry_proto: { cls: CorruptCheckpointError, message: /Entry for key v .* not parseable/ },
  tensor_flip: { cls: CorruptCheckpointError, message: /Checksum does not match for v/ },
  string_length_checksum: {
    cls: CorruptCheckpointError,
    message: /length checksum does not match/,
  },
  data_truncated: {
    cls: CorruptCheckpointError,
    message: /points past the end/,
    check: (e) => assert.deepEqual([e.expected, e.actual], ["<= 3", 8]),
  },
  entry_past_end: { cls: CorruptCheckpointError, message: /points past the end/ },
  size_mismatch: {
    cls: CorruptCheckpointError,
    message: /Invalid size in bundle entry: key v; stored size 12; expected size 8/,
    check: (e) => assert.deepEqual([e.expected, e.actual], [8, 12]),
  },
  huge_shape: {
    cls: CorruptCheckpointError,
    message: /points past the end/,
    check: (e) => assert.equal(e.actual, 2 ** 40),
  },
  huge_string: { cls: CorruptCheckpointError, message: /points past the end/ },
  missing_shard: { cls: ObjectNotFoundError, message: /does not exist/ },
};

async function attempt(c: CorruptCase): Promise<unknown> {
  const store = localStore();
  try {
    const index = await readBundleIndex(store, fixturePath(c.prefix));
    if (c.stage === "index") return new Error(`index of ${c.name} was accepted`);
    await readTensor(store, index, c.key!);
    return new Error(`tensor ${c.key} of ${c.name} was accepted`);
  } catch (e) {
    return e;
  }
}

Deno.test("every corrupt variant is covered by an expectation", () => {
  assert.deepEqual(manifest.corrupt.cases.map((c) => c.name).sort(), Object.keys(EXPECT).sort());
});

for (const c of manifest.corrupt.cases) {
  Deno.test(`corrupt/${c.name}: ${c.note} → typed error naming file, key, offset`, async () => {
    const want = EXPECT[c.name];
    const e = await attempt(c);
    assert.ok(e instanceof want.cls, `${c.name}: got ${e}`);
    const err = e as CheckpointError;
    assert.match(err.message, want.message);
    assert.ok(err.location?.endsWith(c.file.split("/").at(-1)!), `${err.location} vs ${c.file}`);
    assert.ok(
      err.message.includes(c.file.split("/").at(-1)!) ||
        err.message.includes(c.prefix.split("/").at(-1)!),
    );
    // A missing data shard is a storage error (no key field): its message names the tensor.
    if (c.key !== undefined && e instanceof CheckpointError) assert.equal(err.key, c.key);
    if (c.key !== undefined) assert.ok(err.message.includes(c.key), err.message);
    if (c.offset !== undefined) assert.equal(err.offset, c.offset);
    if (/checksum/i.test(err.message)) {
      assert.notEqual(err.expected, undefined);
      assert.notEqual(err.expected, err.actual);
    }
    want.check?.(err);
    // The stage where TF also fails (or, where TF silently accepts, documents that it does).
    if (c.tf_exit !== 0) assert.ok(c.tf_result.length > 0);
  });
}

Deno.test("a declared size far beyond the file is rejected before reading or allocating", async () => {
  const store = localStore();
  const reads: number[] = [];
  const spy = {
    ...store,
    stat: store.stat.bind(store),
    read: store.read.bind(store),
    readRange: (loc: string, r: { offset: number; length: number }) => {
      reads.push(r.length);
      return store.readRange(loc, r);
    },
  } as typeof store;
  const index = await readBundleIndex(spy, fixturePath("corrupt/huge_shape"));
  await assert.rejects(readTensor(spy, index, "v"), CorruptCheckpointError);
  assert.deepEqual(reads, []);
});
