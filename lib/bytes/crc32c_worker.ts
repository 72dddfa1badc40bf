/**
 * The worker of crc32c_stream.ts: answers `{ id, buffer, length }` with `{ id, crc, buffer }`,
 * the CRC-32C of the buffer's first `length` bytes, and the buffer transferred back for reuse.
 *
 * @module
 */
import { crc32c } from "./crc32c.ts";

/** A request: a piece's bytes in a transferred buffer. */
interface CrcRequest {
  id: number;
  buffer: ArrayBuffer;
  length: number;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<CrcRequest>) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
};
scope.onmessage = (e) => {
  const { id, buffer, length } = e.data;
  const crc = crc32c(new Uint8Array(buffer, 0, length));
  scope.postMessage({ id, crc, buffer }, [buffer]);
};
