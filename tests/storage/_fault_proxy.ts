/**
 * A fault-injecting HTTP/1.1 proxy on loopback, between the S3 SDK and a real server. Requests
 * pass through byte-exact (Host header kept, so SigV4 signatures stay valid) unless a scheduled
 * rule matches; then it answers with a 5xx/throttle error, resets the connection (before or after
 * forwarding), truncates the response body (closing early, or with a lying Content-Length), or
 * stalls in the middle of it.
 * Built on raw Deno TCP for the client side (so a reset is a real connection drop) and node:http
 * for the upstream side.
 *
 * @module
 */
import http from "node:http";

/** What the proxy sees of a request, for rule matching. */
export interface RequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
}

/** An injected fault. */
export type Fault =
  | { kind: "status"; status: number; code: string }
  | { kind: "reset"; afterForward?: boolean }
  | { kind: "truncate"; keep: number; lieContentLength?: boolean }
  | { kind: "delay"; ms: number }
  /** Answers the headers and the first `keep` body bytes, then sends nothing for `ms`. */
  | { kind: "stall"; keep: number; ms: number };

/** A scheduled fault: applies to the next `times` matching requests (Infinity = permanent). */
export interface FaultRule {
  match: (r: RequestInfo) => boolean;
  fault: Fault;
  times: number;
}

/** One proxied request, for assertions. */
export interface ProxyLogEntry {
  method: string;
  path: string;
  query: string;
  /** Request headers (lower-case names), e.g. content-length, x-amz-copy-source-range. */
  headers: Record<string, string>;
  fault?: Fault["kind"];
  /** performance.now() when the request arrived and when the proxy finished answering it. */
  arrivedAt: number;
  doneAt?: number;
}

/** Matchers for common S3 operations. */
export const match = {
  getObject: (r: RequestInfo) =>
    r.method === "GET" && r.path.split("/").length > 2 && !r.query.has("uploads") &&
    !r.query.has("list-type"),
  rangedGet: (r: RequestInfo) => r.method === "GET" && "range" in r.headers,
  uploadPart: (r: RequestInfo) =>
    r.method === "PUT" && r.query.has("partNumber") && !("x-amz-copy-source" in r.headers),
  uploadPartCopy: (r: RequestInfo) =>
    r.method === "PUT" && r.query.has("partNumber") && "x-amz-copy-source" in r.headers,
  partNumber: (n: number) => (r: RequestInfo) =>
    r.method === "PUT" && r.query.get("partNumber") === String(n),
  complete: (r: RequestInfo) => r.method === "POST" && r.query.has("uploadId"),
  any: () => true,
};

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The running proxy. */
export class FaultProxy {
  readonly rules: FaultRule[] = [];
  readonly log: ProxyLogEntry[] = [];
  readonly #listener: Deno.Listener;
  readonly #conns = new Set<Deno.Conn>();
  readonly #agent = new http.Agent({ keepAlive: true });
  readonly #upstream: URL;
  readonly #done: Promise<void>;

  constructor(upstream: string) {
    this.#upstream = new URL(upstream);
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#done = this.#accept();
  }

  /** http://127.0.0.1:PORT of the proxy. */
  get endpoint(): string {
    return `http://127.0.0.1:${(this.#listener.addr as Deno.NetAddr).port}`;
  }

  /** Schedules `fault` for the next `times` requests matching `m`. */
  inject(m: (r: RequestInfo) => boolean, fault: Fault, times = 1): void {
    this.rules.push({ match: m, fault, times });
  }

  /** Removes all rules. */
  clear(): void {
    this.rules.length = 0;
  }

  /** Faults actually injected so far. */
  faults(): ProxyLogEntry[] {
    return this.log.filter((e) => e.fault);
  }

  async close(): Promise<void> {
    this.#listener.close();
    for (const c of this.#conns) {
      try {
        c.close();
      } catch { /* closed */ }
    }
    this.#agent.destroy();
    await this.#done;
  }

  async #accept(): Promise<void> {
    const handlers: Promise<void>[] = [];
    try {
      for await (const conn of this.#listener) {
        this.#conns.add(conn);
        handlers.push(
          this.#serve(conn).catch(() => {}).finally(() => {
            this.#conns.delete(conn);
            try {
              conn.close();
            } catch { /* closed */ }
          }),
        );
      }
    } catch { /* listener closed */ }
    await Promise.allSettled(handlers);
  }

  #take(info: RequestInfo): Fault | undefined {
    const rule = this.rules.find((r) => r.times > 0 && r.match(info));
    if (!rule) return undefined;
    rule.times--;
    return rule.fault;
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const reader = new ConnReader(conn);
    while (true) {
      const head = await reader.readHead();
      if (!head) return;
      const [reqLine, ...lines] = head.split("\r\n");
      const [method, target] = reqLine.split(" ");
      const headers: Record<string, string> = {};
      const rawHeaders: [string, string][] = [];
      for (const l of lines) {
        const i = l.indexOf(":");
        if (i < 0) continue;
        const k = l.slice(0, i).trim();
        const v = l.slice(i + 1).trim();
        headers[k.toLowerCase()] = v;
        rawHeaders.push([k, v]);
      }
      if (headers["expect"]?.toLowerCase() === "100-continue") {
        await writeAll(conn, enc.encode("HTTP/1.1 100 Continue\r\n\r\n"));
      }
      const body = await reader.readExact(Number(headers["content-length"] ?? 0));
      const url = new URL(target, "http://x");
      const info: RequestInfo = { method, path: url.pathname, query: url.searchParams, headers };
      const fault = this.#take(info);
      const entry: ProxyLogEntry = {
        method,
        path: url.pathname,
        query: url.search,
        headers,
        fault: fault?.kind,
        arrivedAt: performance.now(),
      };
      this.log.push(entry);
      try {
        if (!(await this.#answer(conn, method, target, rawHeaders, body, fault))) return;
      } finally {
        entry.doneAt = performance.now();
      }
    }
  }

  /** Answers one request; false when the connection must be dropped. */
  async #answer(
    conn: Deno.Conn,
    method: string,
    target: string,
    rawHeaders: [string, string][],
    body: Uint8Array,
    fault: Fault | undefined,
  ): Promise<boolean> {
    if (fault?.kind === "delay") await new Promise((r) => setTimeout(r, fault.ms));
    if (fault?.kind === "status") {
      const xml = enc.encode(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>injected by fault proxy</Message></Error>`,
      );
      await writeAll(
        conn,
        enc.encode(
          `HTTP/1.1 ${fault.status} Injected\r\nContent-Type: application/xml\r\nContent-Length: ${xml.length}\r\n\r\n`,
        ),
      );
      await writeAll(conn, xml);
      return true;
    }
    if (fault?.kind === "reset" && !fault.afterForward) return false; // drop the connection, no answer
    const res = await this.#forward(
      method,
      target,
      rawHeaders.filter(([k]) => k.toLowerCase() !== "expect"),
      body,
    );
    if (fault?.kind === "reset") return false; // the server did it; the client never hears back
    let out = res.body;
    let declared = out.length;
    if (fault?.kind === "truncate") {
      out = out.subarray(0, Math.min(fault.keep, out.length));
      if (fault.lieContentLength) declared = out.length;
    }
    let rest: Uint8Array | undefined;
    if (fault?.kind === "stall") {
      rest = out.subarray(Math.min(fault.keep, out.length));
      out = out.subarray(0, Math.min(fault.keep, out.length));
    }
    let h = `HTTP/1.1 ${res.status} ${res.statusText}\r\n`;
    for (const [k, v] of res.headers) {
      const lk = k.toLowerCase();
      if (lk === "content-length" && method === "HEAD") declared = Number(v);
      if (
        lk === "content-length" || lk === "transfer-encoding" || lk === "connection" ||
        lk === "keep-alive"
      ) continue;
      h += `${k}: ${v}\r\n`;
    }
    h += `Content-Length: ${declared}\r\n\r\n`;
    await writeAll(conn, enc.encode(h));
    if (method !== "HEAD") await writeAll(conn, out);
    if (fault?.kind === "stall") {
      await new Promise((r) => setTimeout(r, fault.ms));
      await writeAll(conn, rest!); // (fails when the client gave up meanwhile)
    }
    if (fault?.kind === "truncate" && !fault.lieContentLength) return false; // close mid-body
    return true;
  }

  #forward(
    method: string,
    target: string,
    headers: [string, string][],
    body: Uint8Array,
  ): Promise<
    { status: number; statusText: string; headers: [string, string][]; body: Uint8Array }
  > {
    return new Promise((resolve, reject) => {
      const hdrs: Record<string, string> = {};
      for (const [k, v] of headers) hdrs[k] = v;
      const req = http.request({
        host: this.#upstream.hostname,
        port: Number(this.#upstream.port),
        method,
        path: target,
        headers: hdrs,
        agent: this.#agent,
      }, (res) => {
        const chunks: Uint8Array[] = [];
        res.on("data", (c: Uint8Array) => chunks.push(new Uint8Array(c)));
        res.on("end", () => {
          const out: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            out.push([res.rawHeaders[i], res.rawHeaders[i + 1]]);
          }
          resolve({
            status: res.statusCode ?? 502,
            statusText: res.statusMessage ?? "",
            headers: out,
            body: concat(chunks),
          });
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body.length ? body : undefined);
    });
  }
}

/** Starts a proxy in front of `upstream` (e.g. a TestServer endpoint). */
export function startFaultProxy(upstream: string): FaultProxy {
  return new FaultProxy(upstream);
}

class ConnReader {
  #buf: Uint8Array = new Uint8Array(0);
  constructor(readonly conn: Deno.Conn) {}

  async #fill(): Promise<boolean> {
    const chunk = new Uint8Array(64 * 1024);
    const n = await this.conn.read(chunk);
    if (n === null) return false;
    this.#buf = concat([this.#buf, chunk.subarray(0, n)]);
    return true;
  }

  async readHead(): Promise<string | undefined> {
    while (true) {
      const i = findCrlfCrlf(this.#buf);
      if (i >= 0) {
        const head = dec.decode(this.#buf.subarray(0, i));
        this.#buf = this.#buf.slice(i + 4);
        return head;
      }
      if (!(await this.#fill())) return undefined;
    }
  }

  async readExact(n: number): Promise<Uint8Array> {
    while (this.#buf.length < n) {
      if (!(await this.#fill())) throw new Error("client closed mid-body");
    }
    const out = this.#buf.slice(0, n);
    this.#buf = this.#buf.slice(n);
    return out;
  }
}

function findCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let o = 0; o < data.length;) o += await conn.write(data.subarray(o));
}
