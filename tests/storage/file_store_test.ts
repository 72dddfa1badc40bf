/** FileStore against the real local filesystem (temp dirs). */
import assert from "node:assert/strict";
import {
  ObjectChangedError,
  ObjectNotFoundError,
  PreconditionFailedError,
  StorageError,
} from "../../lib/storage/errors.ts";
import { withEtagPinning } from "../../lib/storage/etag_pinning.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import type { WritePiece } from "../../lib/storage/store.ts";
import { assertBytes, concat, iter, randomBytes, rejection } from "./_util.ts";

const fs = new FileStore({ fsync: false });

async function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "filestore-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function names(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) out.push(e.name);
  return out.sort();
}

Deno.test("FileStore: put creates parent dirs, read/stat/readRange/delete", () =>
  withTmp(async (dir) => {
    const loc = `${dir}/a/b/c.bin`;
    const data = randomBytes(5000);
    const w = await fs.put(loc, data);
    assert.equal(w.size, 5000);
    assert.deepEqual(await fs.stat(loc), { size: 5000, etag: w.etag });
    assertBytes(await fs.read(loc), data);
    assertBytes(await fs.read(`file://${loc}`), data);
    assertBytes(await fs.readRange(loc, { offset: 0, length: 1 }), data.subarray(0, 1));
    assertBytes(await fs.readRange(loc, { offset: 4999, length: 1 }), data.subarray(4999));
    assertBytes(await fs.readRange(loc, { offset: 0, length: 5000 }), data);
    assert.equal((await fs.readRange(loc, { offset: 5000, length: 0 })).length, 0);
    const past = await rejection(() => fs.readRange(loc, { offset: 4990, length: 11 }));
    assert.ok(past instanceof StorageError && past.status === 416 && !past.retryable, past.message);
    await fs.delete(loc);
    await fs.delete(loc);
    assert.equal(await fs.stat(loc), undefined);
    assert.ok((await rejection(() => fs.read(loc))) instanceof ObjectNotFoundError);
    assert.ok(
      (await rejection(() => fs.readRange(loc, { offset: 0, length: 1 }))) instanceof
        ObjectNotFoundError,
    );
  }));

Deno.test("FileStore: readRange above 2^32 in a sparse 5 GiB file", () =>
  withTmp(async (dir) => {
    const loc = `${dir}/sparse.bin`;
    const size = 5 * 1024 ** 3;
    const at = 2 ** 32 + 12345;
    const marker = new TextEncoder().encode("beyond-4GiB");
    const f = await Deno.open(loc, { write: true, create: true });
    await f.truncate(size);
    await f.seek(at, Deno.SeekMode.Start);
    await f.write(marker);
    f.close();
    assert.equal((await fs.stat(loc))?.size, size);
    assertBytes(await fs.readRange(loc, { offset: at, length: marker.length }), marker);
    assertBytes(
      await fs.readRange(loc, { offset: at - 2, length: 3 }),
      new Uint8Array([0, 0, marker[0]]),
    );
    assertBytes(await fs.readRange(loc, { offset: size - 4, length: 4 }), new Uint8Array(4));
    const past = await rejection(() => fs.readRange(loc, { offset: size - 4, length: 5 }));
    assert.ok(past instanceof StorageError && past.status === 416);
  }));

Deno.test("FileStore: write streams pieces and copy ranges, lands atomically", () =>
  withTmp(async (dir) => {
    const src = randomBytes(100_000);
    await fs.put(`${dir}/src`, src);
    const a = randomBytes(10);
    const out = `${dir}/out/merged`;
    let sawPartial = false;
    async function* pieces(): AsyncIterable<WritePiece> {
      yield a;
      yield { copyFrom: `${dir}/src`, offset: 7, length: 90_000 };
      // Mid-write, the target does not exist yet and only a hidden temp file is in the dir.
      sawPartial = (await fs.stat(out)) === undefined && (await names(`${dir}/out`)).length === 1;
      yield { copyFrom: `file://${dir}/src`, offset: 0, length: 0 };
      yield src.subarray(0, 3);
    }
    const w = await new FileStore({ fsync: false, copyChunk: 4096 }).write(out, pieces());
    assert.ok(sawPartial);
    const want = concat([a, src.subarray(7, 90_007), src.subarray(0, 3)]);
    assert.equal(w.size, want.length);
    assertBytes(await fs.read(out), want);
    assert.deepEqual(await names(`${dir}/out`), ["merged"]);
    assert.equal((await fs.stat(out))?.etag, w.etag);
  }));

Deno.test("FileStore: a failed write leaves no temp file and keeps the old object", () =>
  withTmp(async (dir) => {
    const loc = `${dir}/obj`;
    const old = randomBytes(100);
    await fs.put(loc, old);
    async function* failing(): AsyncIterable<WritePiece> {
      yield randomBytes(1000);
      throw new Error("producer broke");
    }
    assert.equal((await rejection(() => fs.write(loc, failing()))).message, "producer broke");
    const missing = await rejection(() =>
      fs.write(loc, iter<WritePiece>([{ copyFrom: `${dir}/nope`, offset: 0, length: 5 }]))
    );
    assert.ok(missing instanceof ObjectNotFoundError);
    const past = await rejection(() =>
      fs.write(loc, iter<WritePiece>([{ copyFrom: loc, offset: 90, length: 50 }]))
    );
    assert.ok(past instanceof StorageError && past.status === 416);
    const ac = new AbortController();
    ac.abort();
    await rejection(() => fs.write(loc, iter([randomBytes(5)]), { signal: ac.signal }));
    assert.deepEqual(await names(dir), ["obj"]);
    assertBytes(await fs.read(loc), old);
  }));

Deno.test("FileStore: create-only put/write and a race of ten writers", () =>
  withTmp(async (dir) => {
    const loc = `${dir}/once`;
    await fs.put(loc, new Uint8Array([1]), { ifNoneMatch: true });
    const e = await rejection(() => fs.put(loc, new Uint8Array([2]), { ifNoneMatch: true }));
    assert.ok(e instanceof PreconditionFailedError && e.status === 412);
    assert.ok(
      (await rejection(() =>
        fs.write(loc, iter([new Uint8Array([3])]), { ifNoneMatch: true })
      )) instanceof PreconditionFailedError,
    );
    assertBytes(await fs.read(loc), new Uint8Array([1]));
    // Concurrent creators: exactly one wins, the file holds the winner's bytes, no temp files.
    const race = `${dir}/race`;
    const results = await Promise.allSettled(
      Array.from(
        { length: 10 },
        (_, i) => fs.put(race, new Uint8Array(1000).fill(i), { ifNoneMatch: true }),
      ),
    );
    const won = results.flatMap((r, i) => r.status === "fulfilled" ? [i] : []);
    assert.equal(won.length, 1);
    assert.ok(
      results.every((r) => r.status === "fulfilled" || r.reason instanceof PreconditionFailedError),
    );
    assertBytes(await fs.read(race), new Uint8Array(1000).fill(won[0]));
    assert.deepEqual(await names(dir), ["once", "race"]);
  }));

Deno.test("FileStore: ETag changes on replace; If-Match and pinning detect it", () =>
  withTmp(async (dir) => {
    const loc = `${dir}/v`;
    const w1 = await fs.put(loc, new Uint8Array(10).fill(1));
    const w2 = await fs.put(loc, new Uint8Array(10).fill(2)); // same size, maybe same mtime ms
    assert.notEqual(w1.etag, w2.etag);
    assert.ok(
      (await rejection(() =>
        fs.readRange(loc, { offset: 0, length: 1 }, { ifMatch: w1.etag })
      )) instanceof ObjectChangedError,
    );
    const job = withEtagPinning(fs);
    assertBytes(await job.readRange(loc, { offset: 0, length: 2 }), new Uint8Array([2, 2]));
    await fs.put(loc, new Uint8Array(10).fill(3));
    assert.ok(
      (await rejection(() => job.readRange(loc, { offset: 0, length: 2 }))) instanceof
        ObjectChangedError,
    );
    assert.ok((await rejection(() => job.stat(loc))) instanceof ObjectChangedError);
    await fs.delete(loc);
    assert.ok((await rejection(() => job.read(loc))) instanceof ObjectChangedError);
  }));

Deno.test("FileStore: list by prefix, recursive, sorted, skips temp files", () =>
  withTmp(async (dir) => {
    for (
      const p of [
        "ckpt/model.ckpt-100.index",
        "ckpt/model.ckpt-100.data-00000-of-00001",
        "ckpt/model.ckpt-20.index",
        "ckpt/sub/x",
        "other",
      ]
    ) {
      await fs.put(`${dir}/${p}`, new Uint8Array([1]));
    }
    await Deno.writeFile(`${dir}/ckpt/.model.ckpt-100.index.tmp-wsf-123`, new Uint8Array(1));
    assert.deepEqual(await fs.list(`${dir}/ckpt/model.ckpt-100`), [
      `${dir}/ckpt/model.ckpt-100.data-00000-of-00001`,
      `${dir}/ckpt/model.ckpt-100.index`,
    ]);
    assert.deepEqual(await fs.list(`${dir}/ckpt/`), [
      `${dir}/ckpt/model.ckpt-100.data-00000-of-00001`,
      `${dir}/ckpt/model.ckpt-100.index`,
      `${dir}/ckpt/model.ckpt-20.index`,
      `${dir}/ckpt/sub/x`,
    ]);
    assert.deepEqual(await fs.list(`file://${dir}/ckpt/sub`), [`file://${dir}/ckpt/sub/x`]);
    assert.deepEqual(await fs.list(`${dir}/missing/`), []);
  }));

Deno.test("FileStore uploads: hidden temp file, parts at offsets by two writers, listed, completed or aborted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fs-upload-" });
  try {
    const a = new FileStore();
    const b = new FileStore(); // another process's store writing its parts
    const target = `${dir}/out/shard.bin`;
    const src = `${dir}/src.bin`;
    const srcBytes = randomBytes(4096);
    await Deno.writeFile(src, srcBytes);
    const upload = await a.createUpload(target);
    const p1 = randomBytes(1000);
    const parts = await Promise.all([
      b.uploadPart(upload, {
        partNumber: 2,
        offset: 1000,
        body: { copyFrom: src, offset: 5, length: 100 },
      }),
      a.uploadPart(upload, { partNumber: 1, offset: 0, body: p1 }),
    ]);
    assert.equal(await a.stat(target), undefined, "invisible before complete");
    assert.deepEqual(await a.list(`${dir}/out/`), [], "list() hides uploads");
    const listed = await b.listUploads(`${dir}/out/sh`);
    assert.deepEqual(listed.map((u) => [u.location, u.uploadId]), [[target, upload.uploadId]]);
    await a.completeUpload(upload, parts, { ifNoneMatch: true });
    assertBytes(await a.read(target), concat([p1, srcBytes.subarray(5, 105)]));
    assert.deepEqual(await a.listUploads(`${dir}/out/`), []);
    // Create-only completion over the existing file fails and leaves no temp file.
    const again = await a.createUpload(target);
    const part = await a.uploadPart(again, { partNumber: 1, offset: 0, body: p1.subarray(0, 3) });
    await assert.rejects(
      a.completeUpload(again, [part], { ifNoneMatch: true }),
      PreconditionFailedError,
    );
    assert.deepEqual(await a.listUploads(`${dir}/out/`), []);
    // Abort removes the temp file; a part for a vanished upload is a retryable error.
    const dropped = await a.createUpload(target);
    await a.abortUpload(dropped);
    await a.abortUpload(dropped);
    assert.deepEqual(await a.listUploads(`${dir}/out/`), []);
    const gone = await rejection(() =>
      a.uploadPart(dropped, { partNumber: 1, offset: 0, body: p1 })
    );
    assert.ok(gone instanceof StorageError && gone.retryable, String(gone));
    // A deferred write is staged as an upload too.
    const w = await a.write(`${dir}/out/staged`, iter([p1]), { defer: true });
    assert.equal(await a.stat(`${dir}/out/staged`), undefined);
    await a.completeUpload(w.staged!.upload, w.staged!.parts);
    assertBytes(await a.read(`${dir}/out/staged`), p1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
