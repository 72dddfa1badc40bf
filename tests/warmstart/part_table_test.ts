/**
 * The part table of a split job cuts every shard exactly where the multipart writer of a
 * one-process run cuts it (storage/multipart_writer.ts), over hundreds of random layouts — mixes
 * of streamed runs and copyable verbatim ranges, in both part modes — so a part written by a
 * task is the part the writer would have written. Also: tasks stay within their bounds and never
 * cut a string tensor, and job records round-trip their typed arrays.
 */
import assert from "node:assert/strict";
import type { CopyPiece, PartResult, UploadRules, WritePiece } from "../../lib/storage/mod.ts";
import { type MultipartTarget, stageMultipart } from "../../lib/storage/multipart_writer.ts";
import type { LayoutItem, ShardLayout } from "../../lib/warmstart/layout.ts";
import { partTable } from "../../lib/warmstart/part_table.ts";
import { splitTasks } from "../../lib/warmstart/task_split.ts";
import { decodeRecord, encodeRecord } from "../../lib/warmstart/json_record.ts";
import { prng } from "../security/_fuzz.ts";

function randomLayout(seed: number): ShardLayout {
  const r = prng(seed);
  const items: LayoutItem[] = [];
  let at = 0;
  const n = 1 + Math.floor(r() * 12);
  for (let i = 0; i < n; i++) {
    const length = Math.floor(r() * (r() < 0.3 ? 400 : 60));
    if (length === 0) continue;
    const copy = r() < 0.5
      ? { copyFrom: `s3://src/data-${i}`, offset: Math.floor(r() * 1000), length }
      : undefined;
    items.push({
      offset: at,
      length,
      tensor: i,
      segment: { kind: "fill", element: new Uint8Array([1]), count: length },
      padding: false,
      ...(copy ? { copy } : {}),
    });
    at += length;
  }
  return {
    index: 0,
    location: "s3://out/model.data-00000-of-00001",
    size: at,
    tensorOffsets: [],
    serverSide: [],
    items,
  };
}

/** The parts the writer makes of the same pieces: [offset, length, copy source offset]. */
async function writerParts(layout: ShardLayout, rules: UploadRules) {
  const parts: Array<[number, number, number | undefined]> = [];
  const target: MultipartTarget = {
    upload: { location: layout.location, uploadId: "u" },
    putObject: () => Promise.reject(new Error("unused")),
    create: () => Promise.resolve(),
    uploadPart(part): Promise<PartResult> {
      const size = part.body instanceof Uint8Array ? part.body.length : part.body.length;
      const copy = part.body instanceof Uint8Array ? undefined : part.body.offset;
      parts.push([part.offset, size, copy]);
      return Promise.resolve({ partNumber: part.partNumber, offset: part.offset, size, etag: "e" });
    },
    complete: () => Promise.reject(new Error("unused")),
    abort: () => Promise.resolve(),
    canCopy: () => true,
    readSource: (_p: CopyPiece, _o: number, length: number) =>
      Promise.resolve(new Uint8Array(length)),
  };
  async function* pieces(): AsyncGenerator<WritePiece> {
    for (const item of layout.items) {
      if (item.copy) yield item.copy;
      // Streamed runs arrive in chunks of any size.
      else {for (let i = 0; i < item.length; i += 7) {
          yield new Uint8Array(Math.min(7, item.length - i));
        }}
    }
  }
  await stageMultipart(target, pieces(), {
    partSize: rules.partSize,
    minPartSize: rules.minPartSize,
    equalParts: rules.equalParts,
    minCopySize: rules.minCopySize,
    maxCopyPartSize: rules.maxCopyPartSize,
    concurrency: 1,
  });
  return parts.sort((a, b) => a[0] - b[0]);
}

for (const equalParts of [false, true]) {
  Deno.test(`part table: ${equalParts ? "equal" : "growing"} parts cut where the writer cuts, 300 random layouts`, async () => {
    for (let seed = 0; seed < 300; seed++) {
      const layout = randomLayout(seed);
      const r = prng(seed + 1e6);
      const minPartSize = 5 + Math.floor(r() * 20);
      const rules: UploadRules = {
        minPartSize,
        partSize: minPartSize + Math.floor(r() * 40),
        equalParts,
        minCopySize: minPartSize + Math.floor(r() * 30),
        maxCopyPartSize: 50 + Math.floor(r() * 200),
      };
      const table = partTable(layout, rules).map((p) =>
        [p.offset, p.length, p.copy?.offset] as [number, number, number | undefined]
      );
      assert.deepEqual(table, await writerParts(layout, rules), `seed ${seed}`);
      // Contiguous from 0, numbered from 1; copies only within one verbatim range.
      let at = 0;
      for (const p of partTable(layout, rules)) {
        assert.equal(p.offset, at);
        at += p.length;
        if (p.copy) {
          const item = layout.items.find((i) =>
            i.offset <= p.offset && p.offset < i.offset + i.length
          )!;
          assert.ok(item.copy && p.offset + p.length <= item.offset + item.length, `seed ${seed}`);
        }
      }
      assert.equal(at, layout.size);
    }
  });
}

Deno.test("task split: streamed and copied bytes within bounds, string tensors never cut, verify tasks grouped", () => {
  for (let seed = 0; seed < 200; seed++) {
    const r = prng(seed);
    const layout = randomLayout(seed);
    const rules: UploadRules = {
      minPartSize: 1,
      partSize: 8,
      equalParts: false,
      minCopySize: 30,
      maxCopyPartSize: 100,
    };
    const parts = partTable(layout, rules);
    const whole: Array<[number, number]> = layout.items.filter(() => r() < 0.2).map((
      i,
    ) => [i.offset, i.offset + i.length]);
    const bounds = { streamBytes: 20 + Math.floor(r() * 50), copyBytes: 100 };
    const sources = Array.from({ length: 5 }, (_, i) => ({ id: `s${i}`, size: 10 * i }));
    const tasks = splitTasks([parts], bounds, [whole], sources);
    let next = 0;
    for (const t of tasks) {
      if (t.kind !== "parts") continue;
      assert.equal(t.first, next, `seed ${seed}: tasks are consecutive`);
      next += t.count;
      const mine = parts.slice(t.first, t.first + t.count);
      const streamed = mine.reduce((n, p) => n + (p.copy ? 0 : p.length), 0);
      const copied = mine.reduce((n, p) => n + (p.copy ? p.length : 0), 0);
      const cut = whole.some(([lo, hi]) => lo < t.offset && t.offset < hi);
      assert.ok(!cut, `seed ${seed}: a string tensor cut at ${t.offset}`);
      // Over a bound only when one part alone is, or when a string tensor must stay whole.
      const ok = t.count === 1 || (streamed <= bounds.streamBytes && copied <= bounds.copyBytes) ||
        whole.some(([lo, hi]) => mine.some((p) => lo < p.offset && p.offset < hi));
      assert.ok(ok, `seed ${seed}: task over its bounds (${streamed}, ${copied})`);
    }
    assert.equal(next, parts.length);
    const verify = tasks.flatMap((t) => t.kind === "verify" ? t.sources : []);
    assert.deepEqual(verify, sources.map((s) => s.id));
  }
});

Deno.test("job records: typed arrays round-trip as base64", () => {
  const value = {
    rowMap: Int32Array.from([0, -1, 7, 2 ** 31 - 1, -(2 ** 31)]),
    element: new Uint8Array([0, 255, 3]),
    nested: [{ m: new Int32Array(0) }],
    n: 3,
  };
  const bytes = encodeRecord(value);
  assert.ok(new TextDecoder().decode(bytes).includes('"$i32"'));
  const back = decodeRecord<typeof value>(bytes, "x");
  assert.deepEqual([...back.rowMap], [...value.rowMap]);
  assert.deepEqual([...back.element], [...value.element]);
  assert.ok(back.nested[0].m instanceof Int32Array && back.n === 3);
  assert.throws(
    () => decodeRecord(new TextEncoder().encode("{"), "x"),
    /not a readable job record/,
  );
});
