/**
 * Credentials never reach a caller or the log, however they were resolved and however the
 * storage endpoint misbehaves: a loopback "S3" that answers every GET with an error body (and a
 * request-id header) echoing the request's headers — Authorization with its SigV4 Credential and
 * Signature, x-amz-security-token — and credentials from the environment or from a shared
 * credentials file (the SDK's provider chain). Through the real server.
 */
import assert from "node:assert/strict";
import { startServer } from "../function/_main_process.ts";
import { post } from "./_attack.ts";

const TOKEN = "security-suite-token-0123456789";

/** A broken S3 endpoint: HEAD says the object exists, GET fails echoing the request headers. */
function echoingEndpoint() {
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const dump = [...req.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
    seen.push(dump);
    if (req.method === "HEAD") {
      return new Response(null, { status: 200, headers: { "content-length": "40", etag: '"e"' } });
    }
    const values = [...req.headers.values()].join(" ");
    const xml = `<?xml version="1.0"?><Error><Code>InvalidRequest</Code>` +
      `<Message>${dump}\n${values}</Message><AWSAccessKeyId>${values}</AWSAccessKeyId></Error>`;
    return new Response(xml, {
      status: 400,
      headers: {
        "content-type": "application/xml",
        "x-amz-request-id": req.headers.get("authorization") ?? "",
        "x-amz-id-2": req.headers.get("x-amz-security-token") ?? "",
      },
    });
  });
  return { port: server.addr.port, seen, stop: () => server.shutdown() };
}

const spec = {
  ckpt_to_initialize_from: "s3://models/old/",
  new_checkpoint: "s3://models/new/model.ckpt-1",
  output: "s3://models/out/model.ckpt-1",
};

async function attempt(env: Record<string, string>, endpointPort: number) {
  const server = await startServer({
    WARM_START_TOKEN: TOKEN,
    AWS_ENDPOINT_URL: `http://127.0.0.1:${endpointPort}`,
    AWS_REGION: "us-east-1",
    S3_FORCE_PATH_STYLE: "1",
    ...env,
  });
  try {
    const r = await post(`${server.url}/v1/warm-start`, spec, { authorization: `Bearer ${TOKEN}` });
    const nd = await post(`${server.url}/v1/warm-start`, spec, {
      authorization: `Bearer ${TOKEN}`,
      accept: "application/x-ndjson",
    });
    return { answers: [r, nd], logs: () => server.logs(), stop: () => server.stop() };
  } catch (e) {
    await server.stop();
    throw e;
  }
}

function assertNoSecrets(text: string, secrets: string[], where: string) {
  for (const s of secrets) assert.ok(!text.includes(s), `${where} contains ${s.slice(0, 6)}…`);
  assert.ok(!/Credential=[A-Z0-9]/.test(text), `${where} contains a SigV4 Credential`);
  assert.ok(!/Signature=[0-9a-f]{16}/.test(text), `${where} contains a SigV4 Signature`);
}

Deno.test("security: credentials from the environment never reach the answer or the log", async () => {
  const endpoint = echoingEndpoint();
  const creds = {
    AWS_ACCESS_KEY_ID: "ENVKEYID0123456789XY",
    AWS_SECRET_ACCESS_KEY: "env-secret-access-key-0123456789abcdef",
    AWS_SESSION_TOKEN: "ENVSESSIONTOKEN-0123456789-abcdefghijklmnop",
  };
  try {
    const run = await attempt(creds, endpoint.port);
    await run.stop();
    const [plain, nd] = run.answers;
    assert.equal(plain.status, 502, plain.text);
    assert.match(plain.text, /InvalidRequest \(HTTP 400\)/);
    assert.match(nd.text, /"type":"error"/);
    // The endpoint did see the credentials (so they could have leaked)...
    const seen = endpoint.seen.join("\n");
    assert.ok(seen.includes(creds.AWS_SESSION_TOKEN) && seen.includes(creds.AWS_ACCESS_KEY_ID));
    const signature = /Signature=([0-9a-f]+)/.exec(seen)![1];
    // ...and none of it reached the caller or the log.
    const secrets = [...Object.values(creds), signature];
    for (const a of run.answers) assertNoSecrets(a.text, secrets, "the answer");
    assertNoSecrets(run.logs(), secrets, "the log");
  } finally {
    await endpoint.stop();
  }
});

Deno.test("security: credentials resolved by the SDK's provider chain are redacted too", async () => {
  const endpoint = echoingEndpoint();
  const dir = await Deno.makeTempDir({ prefix: "wsf-sec-creds-" });
  const creds = {
    id: "FILEKEYID9876543210ZZ",
    secret: "file-secret-access-key-9876543210fedcba",
    token: "FILESESSIONTOKEN-9876543210-zyxwvutsrqponm",
  };
  await Deno.writeTextFile(
    `${dir}/credentials`,
    `[attack]\naws_access_key_id = ${creds.id}\naws_secret_access_key = ${creds.secret}\n` +
      `aws_session_token = ${creds.token}\n`,
  );
  try {
    const run = await attempt({
      AWS_SHARED_CREDENTIALS_FILE: `${dir}/credentials`,
      AWS_CONFIG_FILE: `${dir}/config-none`,
      AWS_PROFILE: "attack",
    }, endpoint.port);
    await run.stop();
    assert.equal(run.answers[0].status, 502, run.answers[0].text);
    const seen = endpoint.seen.join("\n");
    assert.ok(
      seen.includes(creds.token) && seen.includes(creds.id),
      "the file's credentials were used",
    );
    const signature = /Signature=([0-9a-f]+)/.exec(seen)![1];
    const secrets = [creds.id, creds.secret, creds.token, signature];
    for (const a of run.answers) assertNoSecrets(a.text, secrets, "the answer");
    assertNoSecrets(run.logs(), secrets, "the log");
  } finally {
    await endpoint.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
