/**
 * Local mode (`--local`, no token) against a web page's requests, through the real server: a
 * cross-site `text/plain` POST with a foreign Origin (no CORS preflight in a browser) and a
 * DNS-rebound Host are refused before any job starts; a form-encoded or text/plain body is 415.
 */
import assert from "node:assert/strict";
import { startServer } from "../function/_main_process.ts";
import { assertHealthy, post, sampleDir, sampleSpec, snapshot } from "./_attack.ts";

/** A raw HTTP/1.1 request (fetch cannot send a foreign Host). */
async function raw(port: number, request: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(new TextEncoder().encode(request));
    const buf = new Uint8Array(65536);
    let text = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
      if (/\r\n\r\n[\s\S]*\}\n$/.test(text)) break;
    }
    return text;
  } finally {
    conn.close();
  }
}

Deno.test("security: local mode refuses cross-site requests (Origin, Host, content type)", async () => {
  const dir = await sampleDir();
  const server = await startServer({ WARM_START_ALLOWED: dir }, { args: ["--local"] });
  const before = snapshot(dir);
  const body = JSON.stringify(sampleSpec(dir)); // a real job: it would write dir/merged/
  try {
    // What a page on https://evil.example can send without a preflight.
    const crossSite = await post(`${server.url}/v1/warm-start`, body, {
      "content-type": "text/plain",
      origin: "https://evil.example",
    });
    assert.equal(crossSite.status, 403, crossSite.text);
    assert.equal(crossSite.body.error?.code, "forbidden_request");
    const sameSiteText = await post(`${server.url}/v1/warm-start`, body, {
      "content-type": "text/plain",
    });
    assert.equal(sameSiteText.status, 415, sameSiteText.text);
    const form = await post(`${server.url}/v1/events`, body, {
      "content-type": "application/x-www-form-urlencoded",
    });
    assert.equal(form.status, 415, form.text);
    const nullOrigin = await post(`${server.url}/v1/warm-start`, body, { origin: "null" });
    assert.equal(nullOrigin.status, 403, nullOrigin.text);
    // DNS rebinding: the browser talks to 127.0.0.1 but names evil.example in Host.
    const rebound = await raw(
      server.port,
      `POST /v1/warm-start HTTP/1.1\r\nHost: evil.example:${server.port}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    assert.match(rebound, /^HTTP\/1\.1 403/);
    const wrongPort = await raw(
      server.port,
      `GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:1\r\nConnection: close\r\n\r\n`,
    );
    assert.match(wrongPort, /^HTTP\/1\.1 403/);
    assert.deepEqual(snapshot(dir), before, "no job ran");

    // The server's own origin with JSON is served (a dry run of the same job).
    const own = await post(`${server.url}/v1/warm-start?dry_run=true`, body, {
      origin: `http://127.0.0.1:${server.port}`,
    });
    assert.equal(own.status, 200, own.text);
    const local = await raw(
      server.port,
      `GET /healthz HTTP/1.1\r\nHost: localhost:${server.port}\r\nConnection: close\r\n\r\n`,
    );
    assert.match(local, /^HTTP\/1\.1 200/);
    await assertHealthy(server.url);
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
