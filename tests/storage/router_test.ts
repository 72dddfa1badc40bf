/** RoutingStore over a real versitygw and the local filesystem; versitygw event webhook passthrough. */
import assert from "node:assert/strict";
import { FileStore } from "../../lib/storage/file_store.ts";
import { routingStore } from "../../lib/storage/router.ts";
import { S3Store } from "../../lib/storage/s3_store.ts";
import type { WritePiece } from "../../lib/storage/store.ts";
import { startVersitygw } from "./_servers.ts";
import { assertBytes, concat, iter, MiB, randomBytes } from "./_util.ts";

Deno.test({
  name: "RoutingStore: mixed locations and cross-scheme copy pieces",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const srv = await startVersitygw({ buckets: ["routed"] });
  const dir = await Deno.makeTempDir({ prefix: "router-test-" });
  const router = routingStore({ s3Options: { env: srv.env, partSize: 5 * MiB } });
  try {
    assert.ok(router.storeFor(`${dir}/x`) instanceof FileStore);
    assert.ok(router.storeFor(`file://${dir}/x`) instanceof FileStore);
    const s3 = router.storeFor("s3://routed/x");
    assert.ok(s3 instanceof S3Store);
    assert.equal(router.storeFor("s3://other/y"), s3); // one shared S3Store

    const local = randomBytes(7 * MiB);
    const remote = randomBytes(6 * MiB);
    await router.put(`${dir}/local.bin`, local);
    await router.put("s3://routed/remote.bin", remote);
    // Into S3, with a local-file copy range (streamed) and an S3 copy range (server-side).
    const toS3: WritePiece[] = [
      { copyFrom: `${dir}/local.bin`, offset: 1, length: 6 * MiB },
      { copyFrom: "s3://routed/remote.bin", offset: 0, length: 6 * MiB },
    ];
    await router.write("s3://routed/out/merged", iter(toS3));
    assertBytes(
      await router.read("s3://routed/out/merged"),
      concat([local.subarray(1, 6 * MiB + 1), remote]),
    );
    // Into a local file, with an S3 copy range (read through the router).
    await router.write(
      `${dir}/out/merged`,
      iter<WritePiece>([new Uint8Array([9]), {
        copyFrom: "s3://routed/remote.bin",
        offset: 5,
        length: 100,
      }]),
    );
    assertBytes(
      await router.read(`${dir}/out/merged`),
      concat([new Uint8Array([9]), remote.subarray(5, 105)]),
    );
    assert.deepEqual(await router.list("s3://routed/out/"), ["s3://routed/out/merged"]);
    assert.deepEqual(await router.list(`${dir}/out/`), [`${dir}/out/merged`]);
  } finally {
    (router.storeFor("s3://routed/x") as S3Store).client.destroy();
    await srv.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "versitygw --event-webhook-url posts S3 event Records",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const events: {
    eventName: string;
    s3: { bucket: { name: string }; object: { key: string; size?: number } };
  }[] = [];
  let got!: () => void;
  const arrived = new Promise<void>((r) => got = r);
  const hook = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = await req.json();
    for (const r of body.Records ?? []) events.push(r);
    if (events.some((e) => e.eventName.endsWith("ObjectCreated:CompleteMultipartUpload"))) got();
    return new Response("ok");
  });
  const srv = await startVersitygw({
    buckets: ["events"],
    eventWebhookUrl: `http://127.0.0.1:${hook.addr.port}/hook`,
  });
  const s3 = new S3Store({ env: srv.env, partSize: 5 * MiB });
  try {
    await s3.put("s3://events/ckpt/checkpoint", new Uint8Array([1, 2, 3]));
    await s3.write("s3://events/ckpt/model.data", iter([randomBytes(6 * MiB)]));
    await Promise.race([
      arrived,
      new Promise((_, rej) =>
        setTimeout(() => rej(new Error(`no event; got ${JSON.stringify(events)}`)), 5000)
      ),
    ]);
    // versitygw v1.8.0 quirks vs AWS: eventName carries an "s3:" prefix, and the size of a
    // CompleteMultipartUpload record is 0 (HEAD the object for its size).
    const names = events.map((e) =>
      `${e.eventName} ${e.s3.bucket.name}/${e.s3.object.key} ${e.s3.object.size}`
    );
    assert.deepEqual(names.sort(), [
      "s3:ObjectCreated:CompleteMultipartUpload events/ckpt/model.data 0",
      "s3:ObjectCreated:Put events/ckpt/checkpoint 3",
    ]);
  } finally {
    s3.client.destroy();
    await srv.stop();
    await hook.shutdown();
  }
});
