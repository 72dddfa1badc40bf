/**
 * Crc32cStream (lib/bytes/crc32c_stream.ts): the CRC of chunks added in order, big ones computed
 * by a worker on another core — equal to crc32c of the whole, with the caller free to reuse
 * its buffers at once, and a process that used it exits on its own.
 */
import assert from "node:assert/strict";
import { crc32c } from "../../lib/bytes/crc32c.ts";
import {
  Crc32cStream,
  crcWorkerComputed,
  IN_FLIGHT_BYTES,
  OFFLOAD_MIN_BYTES,
  PIECE_BYTES,
} from "../../lib/bytes/crc32c_stream.ts";

/** Deterministic bytes (a xorshift stream). */
function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const cores = navigator.hardwareConcurrency ?? 1;

Deno.test("Crc32cStream: chunks of every size, in order, equal crc32c of the whole", async () => {
  const sizes = [0, 1, 255, OFFLOAD_MIN_BYTES, 7, OFFLOAD_MIN_BYTES + 13, 1 << 20, 100, 3 << 20];
  // More than IN_FLIGHT_BYTES in big chunks: the stream waits for the worker on the way.
  for (let i = 0; i < 6; i++) sizes.push(IN_FLIGHT_BYTES / 4 + i);
  const chunks = sizes.map((n, i) => bytesOf(n, i + 1));
  const whole = new Uint8Array(sizes.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const c of chunks) whole.set(c, at), at += c.length;
  for (const initial of [0, 0xdeadbeef]) {
    const before = crcWorkerComputed();
    const stream = new Crc32cStream(initial);
    // One reused buffer, overwritten after each add: the stream copied what it needed.
    const buffer = new Uint8Array(Math.max(...sizes));
    for (const c of chunks) {
      buffer.set(c);
      await stream.add(buffer.subarray(0, c.length));
      buffer.fill(0xa5);
    }
    assert.equal(await stream.value(), crc32c(whole, initial), `initial ${initial}`);
    // With a second core the big chunks' CRCs come from the worker, a piece at a time; with
    // one, none do.
    const pieces = sizes.filter((n) => n >= OFFLOAD_MIN_BYTES)
      .reduce((sum, n) => sum + Math.ceil(n / PIECE_BYTES), 0);
    assert.equal(crcWorkerComputed() - before, cores > 1 ? pieces : 0, `${cores} cores`);
  }
});

Deno.test("Crc32cStream: streams at once share the worker, each its own CRC", async () => {
  // Four streams of 3 MiB chunks at once: 12 MiB asked for, more than the worker's room.
  const data = [1, 2, 3, 4].map((seed) => bytesOf(5 * 3 * PIECE_BYTES + seed, seed));
  const got = await Promise.all(data.map(async (bytes) => {
    const stream = new Crc32cStream();
    for (let at = 0; at < bytes.length; at += 3 * PIECE_BYTES) {
      await stream.add(bytes.subarray(at, at + 3 * PIECE_BYTES));
    }
    return await stream.value();
  }));
  assert.deepEqual(got, data.map((b) => crc32c(b)));
  assert.ok(4 * 3 * PIECE_BYTES > IN_FLIGHT_BYTES);
});

/** Runs `prelude` then a 1 MiB stream in a child; its CRC and worker CRCs, and its exit code. */
async function inChild(
  prelude: string,
  env: Record<string, string> = {},
): Promise<{ code: number; crc: number; computed: number }> {
  const module = new URL("../../lib/bytes/crc32c_stream.ts", import.meta.url).href;
  const script = `${prelude}
    const { Crc32cStream, crcWorkerComputed } = await import(${JSON.stringify(module)});
    const s = new Crc32cStream();
    await s.add(new Uint8Array(1 << 20).fill(7));
    console.log(await s.value(), crcWorkerComputed());`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    env,
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const out = await child.output();
  clearTimeout(timer);
  const [crc, computed] = new TextDecoder().decode(out.stdout).trim().split(" ").map(Number);
  return { code: out.code, crc, computed };
}

const ONE_MIB_OF_7 = crc32c(new Uint8Array(1 << 20).fill(7));

Deno.test("Crc32cStream: a process that used the worker exits on its own", async () => {
  const r = await inChild("");
  assert.equal(r.code, 0, "exited by itself (not killed after 30 s)");
  assert.equal(r.crc, ONE_MIB_OF_7);
  assert.equal(r.computed, cores > 1 ? 1 : 0);
});

Deno.test("Crc32cStream: where no worker starts, the CRCs are computed in place", async () => {
  const cases = {
    // A runtime without Workers (the constructor throws).
    "no Workers": `globalThis.Worker = class { constructor() { throw new Error("no"); } };`,
    // A worker whose module does not load (its error event, before any bytes were sent).
    "module fails": `const W = globalThis.Worker;
      globalThis.Worker = class extends W {
        constructor(_u, o) { super("file:///nonexistent/crc32c_worker.ts", o); }
      };`,
  };
  for (const [name, prelude] of Object.entries(cases)) {
    const r = await inChild(prelude);
    assert.deepEqual(r, { code: 0, crc: ONE_MIB_OF_7, computed: 0 }, name);
  }
});

Deno.test("Crc32cStream: WARM_START_CRC_WORKER=0 keeps every CRC on the calling thread", async () => {
  for (const off of ["0", "off", " FALSE "]) {
    const r = await inChild("", { WARM_START_CRC_WORKER: off });
    assert.deepEqual(r, { code: 0, crc: ONE_MIB_OF_7, computed: 0 }, off);
  }
  // Any other value: the default (the worker where there is a second core).
  const on = await inChild("", { WARM_START_CRC_WORKER: "1" });
  assert.deepEqual(on, { code: 0, crc: ONE_MIB_OF_7, computed: cores > 1 ? 1 : 0 });
});
