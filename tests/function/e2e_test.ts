/**
 * End to end, for real: main.ts serving (subprocess) with the real engine and S3 store,
 * versitygw posting bucket events to it, TensorFlow writing the inputs and reading the output.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { deepEqual as assertEquals, ok as assert } from "node:assert/strict";
import { freePort, startServer } from "./_main_process.ts";
import { startWebhookGateway } from "./_versitygw_webhook.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PYTHON = `${ROOT}.venv/bin/python`;
const TF_SCRIPT = `${ROOT}tests/oracle/tf_checkpoints.py`;
const BUCKET = "models";
const OUTSIDE = "elsewhere";

async function python(args: string[]): Promise<string> {
  const out = await new Deno.Command(PYTHON, {
    args: [TF_SCRIPT, ...args],
    env: { TF_CPP_MIN_LOG_LEVEL: "3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  if (!out.success) throw new Error(`python ${args.join(" ")}: ${text.decode(out.stderr)}`);
  return text.decode(out.stdout);
}

async function upload(client: S3Client, localDir: string, keyPrefix: string, names: string[]) {
  for (const name of names) {
    const body = await Deno.readFile(`${localDir}/${name}`);
    await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: `${keyPrefix}${name}`, Body: body }),
    );
  }
}

async function listKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

async function snapshot(client: S3Client, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await listKeys(client, BUCKET, prefix)) {
    const h = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    out[key] = `${h.ETag} ${h.LastModified?.toISOString()}`;
  }
  return out;
}

async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 120_000,
): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test("e2e: versitygw events warm-start a TF checkpoint; replay is a no-op; refusals", async () => {
  const token = `e2e-${crypto.randomUUID()}`;
  const work = await Deno.makeTempDir({ prefix: "wsf-e2e-" });
  const gatewayPort = freePort();
  const { gatewayEnv } = await import("./_versitygw_webhook.ts");
  const server = await startServer({
    WARM_START_TOKEN: token,
    WARM_START_ALLOWED: `s3://${BUCKET}/`,
    ...gatewayEnv(gatewayPort),
  });
  let gateway;
  try {
    gateway = await startWebhookGateway(
      gatewayPort,
      `http://hook:${token}@127.0.0.1:${server.port}/v1/events`,
      [BUCKET, OUTSIDE],
    );
    const { client } = gateway;

    // TensorFlow writes OLD and NEW; its own warm_start gives the expected values.
    await python(["make", work]);
    const expected = JSON.parse(await Deno.readTextFile(`${work}/expected.json`));
    await upload(client, `${work}/old`, "runs/old/", [
      "model.ckpt-100.data-00000-of-00001",
      "model.ckpt-100.index",
      "model.ckpt-100.meta",
      "checkpoint",
      "old_vocab.txt",
    ]);
    await upload(client, `${work}/new`, "runs/new/", [
      "model.ckpt-1.data-00000-of-00001",
      "model.ckpt-1.meta",
      "new_vocab.txt",
      "model.ckpt-1.index",
    ]);
    // The job file sits beside the NEW checkpoint; its locations are relative to it.
    const job = {
      ckpt_to_initialize_from: "../old/",
      new_checkpoint: "model.ckpt-1",
      output: "../merged/model.ckpt-1",
      var_name_to_vocab_info: {
        emb: {
          new_vocab: "new_vocab.txt",
          new_vocab_size: 5,
          num_oov_buckets: 1,
          old_vocab: "../old/old_vocab.txt",
        },
      },
    };
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "runs/new/warm_start.json",
        Body: JSON.stringify(job),
      }),
    );

    // The job file's event starts the job; the marker appears after the merged checkpoint.
    const markerKey = "runs/merged/.warm_start/model.ckpt-1.done.json";
    const marker = await waitFor("the merged checkpoint", async () => {
      try {
        const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: markerKey }));
        return JSON.parse(await r.Body!.transformToString());
      } catch {
        if (/job failed/.test(server.logs())) throw new Error(`job failed:\n${server.logs()}`);
        return undefined;
      }
    });
    assertEquals(marker.trigger.source, "event");
    // versitygw posts events concurrently: the job file's event, or the NEW .index's event if it
    // is handled once the job file is there, starts the job; the other joins or finds it done.
    assert(
      [`s3://${BUCKET}/runs/new/warm_start.json`, `s3://${BUCKET}/runs/new/model.ckpt-1.index`]
        .includes(marker.trigger.key),
      marker.trigger.key,
    );
    const merged = await listKeys(client, BUCKET, "runs/merged/model.ckpt-1");
    assert(merged.includes("runs/merged/model.ckpt-1.index"), merged.join(","));

    // TensorFlow restores the download with warm_start's values.
    await Deno.mkdir(`${work}/merged`);
    for (const key of merged) {
      const r = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      await Deno.writeFile(
        `${work}/merged/${key.slice("runs/merged/".length)}`,
        await r.Body!.transformToByteArray(),
      );
    }
    const restored = JSON.parse(await python(["read", `${work}/merged/model.ckpt-1`]));
    assertEquals(restored, expected);

    // Replaying the same event (a versitygw-shaped record, and a second identical PUT) changes nothing.
    const before = await snapshot(client, "runs/merged/");
    // The event that started the job, exactly as versitygw sent it (the marker records it).
    const t = marker.trigger;
    const replay = {
      Records: [{
        eventVersion: "2.2",
        eventSource: "aws:s3",
        eventTime: t.eventTime,
        eventName: `s3:${t.eventName}`,
        s3: {
          configurationId: "webhook-global",
          bucket: { name: BUCKET },
          object: {
            key: t.key.slice(`s3://${BUCKET}/`.length),
            ...(t.etag ? { eTag: t.etag } : {}),
            sequencer: t.sequencer,
          },
        },
      }],
    };
    const res = await fetch(`${server.url}/v1/events?wait=true`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify(replay),
    });
    assertEquals(res.status, 200);
    assertEquals((await res.json()).results[0].status, "already_done");
    const skipsBefore = server.logs().split("\n").filter((l) =>
      l.includes('"phase":"already_done"')
    ).length;
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: "runs/new/warm_start.json",
        Body: JSON.stringify(job),
      }),
    );
    await waitFor("the duplicate event", () =>
      Promise.resolve(
        server.logs().split("\n").filter((l) => l.includes('"phase":"already_done"')).length >
            skipsBefore
          ? true
          : undefined,
      ), 30_000).catch((e) => {
        throw new Error(`${e.message}\n${server.logs()}`);
      });
    assertEquals(await snapshot(client, "runs/merged/"), before);

    // An unauthenticated request is refused.
    for (const path of ["/v1/events", "/v1/warm-start"]) {
      const r = await fetch(`${server.url}${path}`, {
        method: "POST",
        body: JSON.stringify(replay),
      });
      assertEquals(r.status, 401);
      await r.body?.cancel();
    }

    // A spec naming a bucket outside the allow-list is refused and writes nothing there.
    const outside = await fetch(`${server.url}/v1/warm-start`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({
        ckpt_to_initialize_from: `s3://${BUCKET}/runs/old/`,
        new_checkpoint: `s3://${BUCKET}/runs/new/model.ckpt-1`,
        output: `s3://${OUTSIDE}/stolen/model.ckpt-1`,
      }),
    });
    assertEquals(outside.status, 403);
    assertEquals((await outside.json()).error.field, "output");
    assertEquals(await listKeys(client, OUTSIDE, ""), []);
    assert(!server.logs().includes(token), "the token never appears in logs");
  } finally {
    await gateway?.stop();
    await server.stop();
    await Deno.remove(work, { recursive: true });
  }
});
