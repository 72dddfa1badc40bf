/**
 * The S3 client's GET requests over Deno's `fetch`; every other request stays on the SDK's
 * node:http handler. Why: through node:http a GET body arrives as a stream of fresh 64 KiB
 * buffers converted to a web stream (Readable.toWeb), garbage the collector frees late, so a
 * job reading its inputs by range held hundreds of MiB more than its budget; `fetch` hands the
 * body over as the web stream the store reads anyway. PUT bodies stay on node:http, which sends
 * the caller's buffer as it is (fetch copies a request body).
 *
 * The request is the one the SDK built and signed (a plain HTTP request object); the answer goes
 * back as the SDK expects it (`statusCode`, lower-case `headers`, `body` a ReadableStream, which
 * the SDK's stream mixin and error collector both read). Timeouts match the node handler's:
 * `idleMs` without a byte — waiting for the headers, or in any one read of the body — ends the
 * request with a network error (no HTTP status: retryable, s3_errors.ts). Responses are never decoded: a stored
 * object's Content-Encoding is the object's, not the transport's (`accept-encoding: identity`).
 *
 * @module
 */

/** The SDK's HTTP request (an `@smithy/types` HttpRequest), as far as it is read here. */
interface SdkRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | Array<string | null> | null>;
  headers: Record<string, string>;
  username?: string;
  password?: string;
  fragment?: string;
}

/** The SDK's request handler (an `@smithy/types` HttpHandler), as far as it is called here. */
export interface SdkHandler {
  handle(
    request: SdkRequest,
    options?: { abortSignal?: AbortSignal; requestTimeout?: number },
  ): Promise<{ response: unknown }>;
  destroy?(): void;
  updateHttpClientConfig?(key: never, value: never): void;
  httpHandlerConfigs?(): unknown;
}

/** RFC 3986 escaping of a query component, as the SDK signs it (@smithy/util-uri-escape). */
function escape(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The request's query string, keys in sorted order as the SDK builds it. */
function queryString(query: SdkRequest["query"] = {}): string {
  const parts: string[] = [];
  for (const key of Object.keys(query).sort()) {
    const value = query[key];
    const k = escape(key);
    if (Array.isArray(value)) {
      for (const v of value) parts.push(v === null ? k : `${k}=${escape(v)}`);
    } else parts.push(value === null ? k : `${k}=${escape(value)}`);
  }
  return parts.join("&");
}

/** The request's URL. */
function urlOf(r: SdkRequest): string {
  const auth = r.username != null || r.password != null
    ? `${r.username ?? ""}:${r.password ?? ""}@`
    : "";
  const q = queryString(r.query);
  return `${r.protocol}//${auth}${r.hostname}${r.port ? `:${r.port}` : ""}${r.path}${
    q ? `?${q}` : ""
  }${r.fragment ? `#${r.fragment}` : ""}`;
}

/** The error a silent server ends a request with (named like node's socket timeout). */
function idleError(ms: number): Error {
  const e = new Error(`no data from the server for ${ms} ms`);
  e.name = "TimeoutError";
  return e;
}

/** The SDK's abort error (its name is what the store's error mapping looks for). */
function abortError(signal: AbortSignal): Error {
  const e = new Error("Request aborted", { cause: signal.reason });
  e.name = "AbortError";
  return e;
}

/**
 * A handler that sends GETs with `fetch` and everything else through `inner` (see module docs).
 *
 * @param inner the SDK's own handler (the client's resolved `requestHandler`)
 * @param idleMs longest wait for the headers or the next body chunk
 */
export function fetchGets(inner: SdkHandler, idleMs: number): SdkHandler {
  return {
    handle(request, options = {}) {
      if (request.method !== "GET") return inner.handle(request, options);
      return fetchGet(request, idleMs, options.abortSignal);
    },
    destroy: () => inner.destroy?.(),
    updateHttpClientConfig: (key, value) => inner.updateHttpClientConfig?.(key, value),
    httpHandlerConfigs: () => inner.httpHandlerConfigs?.() ?? {},
  };
}

/**
 * Bounds every read of `body` by `idleMs`, and ends it when `control` aborts: the read itself
 * rejects then (a read already waiting on the connection is not always interrupted by the
 * fetch's abort), and the fetch is aborted. `end` runs when the body is done or failed. The
 * stream is the one fetch made (a byte stream, so readers may read it BYOB: body_into.ts); its
 * readers are wrapped, which every consumer goes through (the SDK's collectors and stream mixin
 * call getReader).
 */
function boundReads(
  body: ReadableStream<Uint8Array>,
  idleMs: number,
  control: AbortController,
  end: () => void,
): void {
  const getReader = body.getReader.bind(body) as (o?: unknown) => ReadableStreamDefaultReader;
  Object.defineProperty(body, "getReader", {
    value: (options?: unknown) => {
      const reader = getReader(options);
      const read = reader.read.bind(reader) as (
        view?: unknown,
      ) => Promise<ReadableStreamReadResult<unknown>>;
      Object.defineProperty(reader, "read", {
        value: (view?: unknown) =>
          new Promise<ReadableStreamReadResult<unknown>>((resolve, reject) => {
            const fail = (e: unknown) => {
              settle();
              end();
              reject(e);
            };
            const onAbort = () => fail(control.signal.reason);
            const timer = setTimeout(() => {
              control.abort(idleError(idleMs));
              fail(control.signal.reason);
            }, idleMs);
            Deno.unrefTimer(timer); // an abandoned body must not keep the process alive
            const settle = () => {
              clearTimeout(timer);
              control.signal.removeEventListener("abort", onAbort);
            };
            if (control.signal.aborted) return fail(control.signal.reason);
            control.signal.addEventListener("abort", onAbort, { once: true });
            read(view).then((r) => {
              settle();
              if (r.done) end();
              resolve(r);
            }, fail);
          }),
      });
      return reader;
    },
  });
}

async function fetchGet(
  request: SdkRequest,
  idleMs: number,
  signal?: AbortSignal,
): Promise<{ response: unknown }> {
  if (signal?.aborted) throw abortError(signal);
  const control = new AbortController();
  const onAbort = () => control.abort(abortError(signal!));
  signal?.addEventListener("abort", onAbort, { once: true });
  const done = () => signal?.removeEventListener("abort", onAbort);
  // Until the headers: one idle period.
  const headersTimer = setTimeout(() => control.abort(idleError(idleMs)), idleMs);
  const headers = new Headers(request.headers);
  headers.set("accept-encoding", "identity");
  let res: Response;
  try {
    res = await fetch(urlOf(request), { method: "GET", headers, signal: control.signal });
  } catch (e) {
    done();
    throw control.signal.aborted ? control.signal.reason : e;
  } finally {
    clearTimeout(headersTimer);
  }
  const responseHeaders: Record<string, string> = {};
  for (const [k, v] of res.headers) responseHeaders[k] = v;
  if (res.body) boundReads(res.body, idleMs, control, done);
  else done();
  return {
    response: {
      statusCode: res.status,
      reason: res.statusText,
      headers: responseHeaders,
      body: res.body ?? new ReadableStream({ start: (c) => c.close() }),
    },
  };
}
