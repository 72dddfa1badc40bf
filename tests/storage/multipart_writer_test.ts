/**
 * Property test of the multipart writer's part planning (pure logic, no S3): random sequences of
 * byte and copy pieces through writeMultipart with a recording MultipartTarget, at scaled-down
 * part sizes. S3 behaviour itself is tested against real servers in s3_conformance_test.ts.
 */
import assert from "node:assert/strict";
import { type MultipartTarget, writeMultipart } from "../../lib/storage/multipart_writer.ts";
import type {
  CopyPiece,
  PartResult,
  Upload,
  UploadPart,
  WritePiece,
  WriteResult,
} from "../../lib/storage/store.ts";
import { assertBytes, concat } from "./_util.ts";

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Part = { n: number; bytes: Uint8Array; copied: boolean };

class Recorder implements MultipartTarget {
  parts: Part[] = [];
  single: Uint8Array | undefined;
  inflight = 0;
  peak = 0;
  created = 0;
  constructor(readonly sources: Map<string, Uint8Array>, readonly random: () => number) {}
  putObject(body: Uint8Array): Promise<WriteResult> {
    this.single = body.slice();
    return Promise.resolve({ size: body.length, etag: "single" });
  }
  create(): Promise<void> {
    this.created++;
    return Promise.resolve();
  }
  readonly upload: Upload = { location: "out", uploadId: "u" };
  offsets = new Map<number, number>();
  async #part(n: number, at: number, bytes: Uint8Array, copied: boolean): Promise<PartResult> {
    this.inflight++;
    this.peak = Math.max(this.peak, this.inflight);
    const copy = bytes.slice(); // what the server would have stored at send time
    await new Promise((r) => setTimeout(r, Math.floor(this.random() * 3)));
    this.inflight--;
    this.parts.push({ n, bytes: copy, copied });
    this.offsets.set(n, at);
    return { partNumber: n, offset: at, size: bytes.length, etag: `e${n}` };
  }
  uploadPart({ partNumber: n, offset, body }: UploadPart): Promise<PartResult> {
    if (body instanceof Uint8Array) return this.#part(n, offset, body, false);
    const r: CopyPiece = body;
    return this.#part(
      n,
      offset,
      this.sources.get(r.copyFrom)!.subarray(r.offset, r.offset + r.length),
      true,
    );
  }
  complete(parts: PartResult[], size: number): Promise<WriteResult> {
    assert.deepEqual(parts.map((p) => p.partNumber), parts.map((_, i) => i + 1));
    // Every part starts where the previous one ended.
    let at = 0;
    for (const p of parts) {
      assert.equal(p.offset, at, `part ${p.partNumber} offset`);
      at += p.size;
    }
    assert.equal(at, size);
    return Promise.resolve({ size, etag: "multi" });
  }
  abort(): Promise<void> {
    return Promise.resolve();
  }
  canCopy(): boolean {
    return true;
  }
  readSource(p: CopyPiece, offset: number, length: number): Promise<Uint8Array> {
    return Promise.resolve(this.sources.get(p.copyFrom)!.slice(offset, offset + length));
  }
}

const MIN = 1000;
const PART = 1500;

for (const equalParts of [false, true]) {
  Deno.test(`writeMultipart plan invariants (equalParts=${equalParts}, 300 random cases)`, async () => {
    let copiedParts = 0;
    let singlePuts = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const random = rng(seed);
      const src = crypto.getRandomValues(new Uint8Array(20_000));
      const sources = new Map([["s3://b/src", src]]);
      const pieces: WritePiece[] = [];
      const expected: Uint8Array[] = [];
      const count = Math.floor(random() * 8);
      for (let i = 0; i < count; i++) {
        const len = Math.floor(random() ** 2 * 5000);
        if (random() < 0.5) {
          const b = crypto.getRandomValues(new Uint8Array(len));
          pieces.push(b);
          expected.push(b);
        } else {
          const offset = Math.floor(random() * (src.length - len));
          pieces.push({ copyFrom: "s3://b/src", offset, length: len });
          expected.push(src.subarray(offset, offset + len));
        }
      }
      const want = concat(expected);
      const t = new Recorder(sources, random);
      const res = await writeMultipart(
        t,
        (async function* () {
          for (const p of pieces) yield p;
        })(),
        { partSize: PART, minPartSize: MIN, equalParts, concurrency: 3 },
      );
      const ctx = `seed ${seed}`;
      assert.equal(res.size, want.length, ctx);
      assert.ok(t.peak <= 3, ctx);
      if (t.single) {
        singlePuts++;
        assert.equal(t.created, 0, ctx);
        assert.ok(want.length < PART || want.length === 0, ctx);
        assertBytes(t.single, want, ctx);
        continue;
      }
      const parts = t.parts.sort((a, b) => a.n - b.n);
      assertBytes(concat(parts.map((p) => p.bytes)), want, ctx);
      parts.forEach((p, i) => {
        const last = i === parts.length - 1;
        if (!last) assert.ok(p.bytes.length >= MIN, `${ctx}: part ${p.n} is ${p.bytes.length}`);
        if (equalParts) {
          if (!last) assert.equal(p.bytes.length, PART, `${ctx}: part ${p.n}`);
          else assert.ok(p.bytes.length <= PART, `${ctx}: last part`);
        }
        if (p.copied) assert.ok(p.bytes.length >= MIN, ctx);
      });
      assert.ok(parts.every((p) => p.bytes.length > 0), ctx);
      copiedParts += parts.filter((p) => p.copied).length;
    }
    // The random cases do exercise both paths.
    assert.ok(copiedParts > 50, `copied parts ${copiedParts}`);
    assert.ok(singlePuts > 10, `single PUTs ${singlePuts}`);
  });
}
