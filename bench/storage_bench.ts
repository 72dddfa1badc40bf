/**
 * Storage benchmark against a local versitygw (loopback, posix root in /tmp):
 *  1. peak RSS while streaming a 2 GiB object (generated on the fly) through the multipart writer;
 *  2. ranged-read throughput (8 MiB ranges, concurrency 4) vs one whole-object streaming GET.
 *
 * Run: `deno task bench:storage` (BENCH_SIZE_MIB=512 for a quicker run).
 *
 * @module
 */
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { Limiter } from "../lib/storage/limiter.ts";
import { withRetries } from "../lib/storage/retry.ts";
import { S3Store } from "../lib/storage/s3_store.ts";
import { startVersitygw } from "../tests/storage/_servers.ts";

const MiB = 1024 * 1024;
const SIZE = Number(Deno.env.get("BENCH_SIZE_MIB") ?? 2048) * MiB;
const PART = 8 * MiB;
const CONCURRENCY = 4;
const RANGE = 8 * MiB;
const LOC = "s3://bench/big.bin";

const mb = (n: number) => (n / MiB).toFixed(1);
const rate = (bytes: number, ms: number) => `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s`;

/** Tracks peak RSS by sampling every 20 ms. */
function rssSampler() {
  let peak = Deno.memoryUsage().rss;
  const t = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 20);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, Deno.memoryUsage().rss);
    },
  };
}

async function* generate(size: number): AsyncIterable<Uint8Array> {
  const template = crypto.getRandomValues(new Uint8Array(65536));
  for (let off = 0, i = 0; off < size; off += MiB, i++) {
    const chunk = new Uint8Array(Math.min(MiB, size - off));
    for (let o = 0; o < chunk.length; o += template.length) {
      chunk.set(template.subarray(0, Math.min(template.length, chunk.length - o)), o);
    }
    new DataView(chunk.buffer).setUint32(0, i);
    yield chunk;
  }
}

const srv = await startVersitygw({ buckets: ["bench"] });
const store = new S3Store({ env: srv.env, partSize: PART, concurrency: CONCURRENCY });
try {
  const base = Deno.memoryUsage().rss;
  console.log(
    `versitygw at ${srv.endpoint}; object ${mb(SIZE)} MiB; part ${
      mb(PART)
    } MiB x concurrency ${CONCURRENCY}`,
  );
  console.log(`baseline RSS: ${mb(base)} MiB`);

  const s1 = rssSampler();
  let t = performance.now();
  const w = await store.write(LOC, generate(SIZE), { sizeHint: SIZE });
  const writeMs = performance.now() - t;
  const peak = s1.stop();
  console.log(
    `multipart write: ${mb(w.size)} MiB in ${(writeMs / 1000).toFixed(1)} s = ${
      rate(w.size, writeMs)
    }`,
  );
  console.log(
    `  peak RSS ${mb(peak)} MiB (baseline ${mb(base)}, +${
      mb(peak - base)
    } MiB; bound (concurrency+1) x part = ${mb((CONCURRENCY + 1) * PART)} MiB)`,
  );

  const reader = withRetries(store);
  const limiter = new Limiter(CONCURRENCY);
  const s2 = rssSampler();
  t = performance.now();
  let got = 0;
  const tasks: Promise<void>[] = [];
  for (let off = 0; off < SIZE; off += RANGE) {
    const length = Math.min(RANGE, SIZE - off);
    tasks.push(limiter.run(async () => {
      const bytes = await reader.readRange(LOC, { offset: off, length });
      got += bytes.length;
    }));
  }
  await Promise.all(tasks);
  const rangedMs = performance.now() - t;
  const peak2 = s2.stop();
  console.log(
    `ranged reads (${mb(RANGE)} MiB, concurrency ${CONCURRENCY}): ${mb(got)} MiB in ${
      (rangedMs / 1000).toFixed(1)
    } s = ${rate(got, rangedMs)} (peak RSS ${mb(peak2)} MiB)`,
  );

  t = performance.now();
  const r = await store.client.send(new GetObjectCommand({ Bucket: "bench", Key: "big.bin" }));
  let whole = 0;
  for await (const chunk of r.Body!.transformToWebStream()) whole += (chunk as Uint8Array).length;
  const wholeMs = performance.now() - t;
  console.log(
    `one whole-object GET (streamed): ${mb(whole)} MiB in ${(wholeMs / 1000).toFixed(1)} s = ${
      rate(whole, wholeMs)
    }`,
  );
  if (got !== SIZE || whole !== SIZE) {
    throw new Error(`size mismatch: ranged ${got}, whole ${whole}, want ${SIZE}`);
  }
  await store.delete(LOC);
} finally {
  store.client.destroy();
  await srv.stop();
}
