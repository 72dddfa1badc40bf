/**
 * A real OTLP receiver for the telemetry tests: the OpenTelemetry Collector built by
 * scripts/otelcol.sh, on a free loopback port, writing what it receives to JSON-lines files.
 *
 * @module
 */

import { stopChild } from "../_child.ts";
const REPO = new URL("../../", import.meta.url).pathname;

/** A span as the collector received it. */
export interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  status: number;
  attributes: Record<string, unknown>;
}

/** A metric data point as received (the last export wins: temporality is cumulative). */
export interface ReceivedPoint {
  name: string;
  attributes: Record<string, unknown>;
  value?: number;
  count?: number;
}

/** A running collector. */
export interface Collector {
  /** OTLP/HTTP endpoint for OTEL_EXPORTER_OTLP_ENDPOINT. */
  endpoint: string;
  /** Stops it by PID (SIGTERM flushes the files), then reads what it received. */
  stop(): Promise<{ spans: ReceivedSpan[]; points: ReceivedPoint[] }>;
}

type KV = { key: string; value: Record<string, unknown> };
const attrs = (a: KV[] = []) =>
  Object.fromEntries(a.map(({ key, value }) => {
    const [k, v] = Object.entries(value)[0] ?? ["", null];
    return [key, k === "intValue" ? Number(v) : v];
  }));

function lines(path: string): Record<string, unknown>[] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter(Boolean).map((l) => JSON.parse(l));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

// deno-lint-ignore no-explicit-any
type Any = any;

function read(dir: string) {
  const spans: ReceivedSpan[] = lines(`${dir}/traces.jsonl`).flatMap((r: Any) =>
    r.resourceSpans.flatMap((rs: Any) =>
      rs.scopeSpans.flatMap((ss: Any) =>
        ss.spans.map((s: Any) => ({
          service: String(attrs(rs.resource.attributes)["service.name"]),
          name: s.name,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId ?? "",
          status: s.status?.code ?? 0,
          attributes: attrs(s.attributes),
        }))
      )
    )
  );
  const points: ReceivedPoint[] = lines(`${dir}/metrics.jsonl`).flatMap((r: Any) =>
    r.resourceMetrics.flatMap((rm: Any) =>
      rm.scopeMetrics.flatMap((sm: Any) =>
        sm.metrics.flatMap((m: Any) => {
          const kind = ["sum", "gauge", "histogram"].find((k) => k in m);
          if (!kind) return [];
          return m[kind].dataPoints.map((p: Any) => ({
            name: m.name,
            attributes: attrs(p.attributes),
            value: p.asDouble ?? (p.asInt !== undefined ? Number(p.asInt) : undefined),
            count: p.count !== undefined ? Number(p.count) : undefined,
          }));
        })
      )
    )
  );
  return { spans, points };
}

/** The last received point of `name` whose attributes include `match`. */
export function lastPoint(
  points: ReceivedPoint[],
  name: string,
  match: Record<string, unknown> = {},
): ReceivedPoint | undefined {
  return points.filter((p) =>
    p.name === name && Object.entries(match).every(([k, v]) => p.attributes[k] === v)
  ).at(-1);
}

/** Builds (cached) and starts the collector. */
export async function startCollector(): Promise<Collector> {
  const build = await new Deno.Command("bash", {
    args: [`${REPO}scripts/otelcol.sh`, "build"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (build.code !== 0) throw new Error(new TextDecoder().decode(build.stderr));
  const bin = new TextDecoder().decode(build.stdout).trim();
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const dir = await Deno.makeTempDir({ prefix: "otelcol-" });
  const child = new Deno.Command(bin, {
    args: ["--config", `${REPO}scripts/otelcol.yaml`],
    env: { OTLP_HTTP_PORT: String(port), OTEL_OUT_DIR: dir },
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let logs = "";
  const pump = (async () => {
    for (;;) {
      const { value, done } = await log.read();
      if (done) return;
      logs += value;
    }
  })();
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    // Bounded: a collector still there 30 s after SIGTERM is killed.
    await stopChild(child, 30_000);
    await pump;
    const got = read(dir);
    await Deno.remove(dir, { recursive: true });
    return got;
  };
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`${endpoint}/v1/traces`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      await r.body?.cancel();
      return { endpoint, stop };
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 50));
  }
  await stop();
  throw new Error(`collector did not start:\n${logs}`);
}
