/**
 * Event notifications must not amplify, through the real server with versitygw: a 1 MiB body of
 * thousands of records is refused at once (413), replayed identical records are resolved once,
 * a malformed record (`eventName: {"toString": 1}`) is refused on its own while the others run,
 * and a forged maximal `sequencer` does not make later genuine events "superseded".
 */
import assert from "node:assert/strict";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { s3ConfigFromEnv } from "../../lib/storage/s3_config.ts";
import { startServer } from "../function/_main_process.ts";
import { awsEvent } from "../function/_s3_setup.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { assertHealthy, post } from "./_attack.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TOKEN = "security-suite-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };

type Result = { status: string; reason?: string; location: string };

/** The one record of an AWS event body for `key`. */
function recordOf(key: string, extra: { etag?: string; sequencer?: string } = {}) {
  return (awsEvent("models", key, extra).Records as Array<Record<string, unknown>>)[0];
}

Deno.test("security: event bodies are bounded, deduplicated, refused per record, ordered by storage", async () => {
  const s3 = await startVersitygw({ buckets: ["models"] });
  const client = new S3Client(s3ConfigFromEnv(s3.env));
  const put = async (key: string, body: string | Uint8Array) => {
    const r = await client.send(new PutObjectCommand({ Bucket: "models", Key: key, Body: body }));
    return (r.ETag ?? "").replaceAll('"', "");
  };
  for (const side of ["old", "new"]) {
    for (const f of Deno.readDirSync(`${ROOT}docs/sample/${side}`)) {
      await put(
        `prod/${side}/${f.name}`,
        Deno.readFileSync(`${ROOT}docs/sample/${side}/${f.name}`),
      );
    }
  }
  const job = (output: string) =>
    JSON.stringify({
      ckpt_to_initialize_from: "../old/",
      new_checkpoint: "model.ckpt-1",
      output,
      var_name_to_vocab_info: {
        emb: {
          new_vocab: "new_vocab.txt",
          new_vocab_size: 5,
          num_oov_buckets: 1,
          old_vocab: "../old/old_vocab.txt",
        },
      },
    });
  const server = await startServer({
    ...s3.env,
    WARM_START_TOKEN: TOKEN,
    WARM_START_ALLOWED: "s3://models/prod/",
  });
  const events = (query = "?wait=true") => `${server.url}/v1/events${query}`;
  try {
    // 1. A 1 MiB body of ~9,000 records: refused whole before any record is looked at.
    const tiny = (i: number) => ({
      eventName: "ObjectCreated:Put",
      s3: { bucket: { name: "models" }, object: { key: `prod/r${i}/warm_start.json` } },
    });
    const flood = { Records: Array.from({ length: 9202 }, (_, i) => tiny(i)) };
    const body = JSON.stringify(flood);
    assert.ok(body.length > 900_000 && body.length < 1_048_576, `${body.length} bytes`);
    const big = await post(events(), body, auth);
    assert.equal(big.status, 413, big.text.slice(0, 200));
    assert.equal(big.body.error?.code, "too_many_records");
    assert.ok(big.ms < 2000, `refused after ${big.ms.toFixed(0)} ms`);

    // 2. 100 replays of one record: resolved once, the rest are duplicates.
    const etag = await put("prod/new/warm_start.json", job("../merged/v1"));
    const replay = {
      Records: Array.from({ length: 100 }, () => recordOf("prod/new/warm_start.json", { etag })),
    };
    const r = await post(events(), replay, auth);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    const statuses = (r.body.results as Result[]).map((x) => x.status);
    assert.deepEqual(statuses.filter((x) => x !== "duplicate"), ["done"]);
    assert.equal(statuses.filter((x) => x === "duplicate").length, 99);

    // 3. A malformed record among good ones: refused alone (not a 500, not a 400 for all).
    const good = recordOf("prod/new/warm_start.json", { etag });
    const mixed = { Records: [{ ...good, eventName: { toString: 1 } }, 42, good] };
    const m = await post(events(""), mixed, auth);
    assert.equal(m.status, 202, m.text);
    const results = m.body.results as Result[];
    assert.deepEqual(results.map((x) => x.status), ["refused", "refused", "started"]);
    assert.match(results[0].reason!, /eventName: expected a string/);

    // 4. A forged maximal sequencer for the current version, then a genuine newer version with
    //    a small sequencer: the genuine event runs (storage says it is current).
    const forged = awsEvent("models", "prod/new/warm_start.json", { sequencer: "F".repeat(64) });
    const f = await post(events(), forged, auth);
    assert.equal((f.body.results as Result[])[0].status, "already_done", f.text);
    const etag2 = await put("prod/new/warm_start.json", job("../merged/v2"));
    const genuine = await post(
      events(),
      awsEvent("models", "prod/new/warm_start.json", { etag: etag2, sequencer: "0000000001" }),
      auth,
    );
    assert.equal((genuine.body.results as Result[])[0].status, "done", genuine.text);
    // The old version's event, replayed late with a huge sequencer, is superseded (its ETag).
    const late = await post(
      events(),
      awsEvent("models", "prod/new/warm_start.json", { etag, sequencer: "F".repeat(64) }),
      auth,
    );
    assert.equal((late.body.results as Result[])[0].status, "superseded", late.text);
    await assertHealthy(server.url);
  } finally {
    await server.stop();
    client.destroy();
    await s3.stop();
  }
});
