/**
 * Helpers of the security suite: a work directory with the sample checkpoints, requests to a
 * real `main.ts serve`, the health probe every attack ends with, snapshots of what exists (to
 * prove nothing was written outside the allow-list), and a loopback TCP server that accepts
 * connections and never answers (a storage endpoint that hangs).
 *
 * @module
 */
import assert from "node:assert/strict";
import * as posix from "node:path/posix";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A temporary directory holding a copy of docs/sample (old/, new/, vocabularies). */
export async function sampleDir(prefix = "wsf-sec-"): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix });
  await copySample(dir);
  return dir;
}

/** Copies docs/sample into `dir` (created). */
export async function copySample(dir: string): Promise<void> {
  await copyTree(`${ROOT}docs/sample`, dir);
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(`${from}/${e.name}`, `${to}/${e.name}`);
    else if (e.isFile) await Deno.copyFile(`${from}/${e.name}`, `${to}/${e.name}`);
  }
}

/** Every file under `dir` (relative paths, sorted), with its size: what exists, exactly. */
export function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      else out.push(`${posix.relative(dir, p)} ${e.isSymlink ? "link" : Deno.lstatSync(p).size}`);
    }
  };
  walk(dir);
  return out.sort();
}

/** The sample job's spec with locations under `dir` (override any field). */
export function sampleSpec(dir: string, extra: Record<string, unknown> = {}) {
  return {
    ckpt_to_initialize_from: `${dir}/old/`,
    new_checkpoint: `${dir}/new/model.ckpt-1`,
    output: `${dir}/merged/model.ckpt-1`,
    var_name_to_vocab_info: {
      emb: {
        new_vocab: `${dir}/new/new_vocab.txt`,
        new_vocab_size: 5,
        num_oov_buckets: 1,
        old_vocab: `${dir}/old/old_vocab.txt`,
      },
    },
    ...extra,
  };
}

/** An answer: status, headers, JSON body (or text), and how long it took. */
export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> & { error?: Record<string, unknown> };
  text: string;
  ms: number;
}

/** POSTs `body` (JSON unless a string) to `url`, JSON content type unless `headers` say else. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const started = performance.now();
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: Answer["body"] = {};
  try {
    parsed = JSON.parse(text);
  } catch { /* not JSON */ }
  return {
    status: res.status,
    headers: res.headers,
    body: parsed,
    text,
    ms: performance.now() - started,
  };
}

/** Asserts the server answers /healthz within `ms` (default 1 s) and returns its body. */
export async function assertHealthy(
  url: string,
  ms = 1000,
): Promise<{ running: number; queued: number }> {
  const started = performance.now();
  const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(ms * 5) });
  const body = await res.json();
  const took = performance.now() - started;
  assert.equal(res.status, 200);
  assert.ok(took < ms, `/healthz took ${took.toFixed(0)} ms (limit ${ms})`);
  return body;
}

/** Resident memory of process `pid` in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0");
  return kb / 1024;
}

/** A loopback TCP server that accepts every connection and never answers a byte. */
export interface HangingServer {
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): void;
}

/** Starts a {@link HangingServer}. */
export function hangingServer(): HangingServer {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let accepted = 0;
  (async () => {
    try {
      for await (const conn of listener) {
        accepted++;
        conns.push(conn);
        // Drain what the client sends so it never blocks on writing; answer nothing.
        (async () => {
          const buf = new Uint8Array(65536);
          try {
            while ((await conn.read(buf)) !== null) { /* discard */ }
          } catch { /* closed */ }
        })();
      }
    } catch { /* closed */ }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    get accepted() {
      return accepted;
    },
    close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* already closed */ }
      }
    },
  };
}
