/**
 * The worker of crc32c_stream.ts. It imports nothing (each module a worker loads costs its
 * isolate memory: importing crc32c.ts here cost 10 MiB more RSS): its first message is the
 * WebAssembly module the starting thread compiled, with the tables its memory starts with
 * (crc32c.ts `wasmCrcParts`); then it answers `{ id, buffer, length }` with `{ id, crc, buffer }`,
 * the CRC-32C of the buffer's first `length` bytes, and the buffer transferred back for reuse.
 *
 * @module
 */

/** The first message (crc32c.ts WasmCrcParts). */
interface Init {
  init: { module: WebAssembly.Module; tables: Uint8Array; stageOffset: number; stageBytes: number };
}

/** A request: a piece's bytes in a transferred buffer. */
interface CrcRequest {
  id: number;
  buffer: ArrayBuffer;
  length: number;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Init | CrcRequest>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
};

let crc3: (ptr: number, len: number, crc: number) => number = () => {
  throw new Error("crc32c worker: no module yet");
};
let stage: Uint8Array = new Uint8Array(0);
let stageOffset = 0;

scope.onmessage = (e) => {
  if ("init" in e.data) {
    const { module, tables, stageBytes } = e.data.init;
    const ex = new WebAssembly.Instance(module, {}).exports as {
      memory: WebAssembly.Memory;
      crc3(ptr: number, len: number, crc: number): number;
    };
    stageOffset = e.data.init.stageOffset;
    const pages = Math.ceil((stageOffset + stageBytes) / 65536);
    ex.memory.grow(Math.max(0, pages - ex.memory.buffer.byteLength / 65536));
    new Uint8Array(ex.memory.buffer).set(tables);
    stage = new Uint8Array(ex.memory.buffer, stageOffset, stageBytes);
    crc3 = ex.crc3;
    return;
  }
  const { id, buffer, length } = e.data;
  const bytes = new Uint8Array(buffer, 0, length);
  let crc = 0;
  for (let at = 0; at < length; at += stage.length) {
    const part = bytes.subarray(at, at + stage.length);
    stage.set(part);
    crc = crc3(stageOffset, part.length, crc) >>> 0;
  }
  scope.postMessage({ id, crc, buffer }, [buffer]);
};
