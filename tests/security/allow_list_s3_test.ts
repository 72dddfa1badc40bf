/**
 * Allow-list escapes on S3 (versitygw), through the real server: a `checkpoint` state file inside
 * the allowed prefix naming another bucket, a location equal to the allowed prefix without its
 * slash (would write `prod.index`, `checkpoint` and `.warm_start/` at the bucket root), and the
 * same through an event job file. Nothing appears in either bucket outside the prefix.
 */
import assert from "node:assert/strict";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { s3ConfigFromEnv } from "../../lib/storage/s3_config.ts";
import { startServer } from "../function/_main_process.ts";
import { awsEvent } from "../function/_s3_setup.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { assertHealthy, post } from "./_attack.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const TOKEN = "security-suite-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };

async function keys(client: S3Client, bucket: string): Promise<string[]> {
  const r = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
  return (r.Contents ?? []).map((o) => o.Key!).sort();
}

Deno.test("security: S3 allow-list escapes (state file, prefix without slash, job file) are refused", async () => {
  const s3 = await startVersitygw({ buckets: ["models", "other"] });
  const client = new S3Client(s3ConfigFromEnv(s3.env));
  const put = async (bucket: string, key: string, body: string | Uint8Array) => {
    const r = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return (r.ETag ?? "").replaceAll('"', "");
  };
  for (const side of ["old", "new"]) {
    for (const f of Deno.readDirSync(`${ROOT}docs/sample/${side}`)) {
      const bytes = Deno.readFileSync(`${ROOT}docs/sample/${side}/${f.name}`);
      await put("models", `prod/${side}/${f.name}`, bytes);
      if (side === "old") await put("other", `secret/${f.name}`, bytes);
    }
  }
  // A small text file inside the allowed prefix pointing at the other bucket.
  await put(
    "models",
    "prod/evil/checkpoint",
    'model_checkpoint_path: "s3://other/secret/model.ckpt-100"\n',
  );
  await put(
    "models",
    "prod/evil_root/checkpoint",
    'model_checkpoint_path: "/secret/model.ckpt-100"\n',
  );
  const server = await startServer({
    ...s3.env,
    WARM_START_TOKEN: TOKEN,
    WARM_START_ALLOWED: "s3://models/prod/",
  });
  const before = { models: await keys(client, "models"), other: await keys(client, "other") };
  const spec = (extra: Record<string, unknown>) => ({
    ckpt_to_initialize_from: "s3://models/prod/old/",
    new_checkpoint: "s3://models/prod/new/model.ckpt-1",
    output: "s3://models/prod/merged/model.ckpt-1",
    var_name_to_vocab_info: {
      emb: {
        new_vocab: "s3://models/prod/new/new_vocab.txt",
        new_vocab_size: 5,
        num_oov_buckets: 1,
        old_vocab: "s3://models/prod/old/old_vocab.txt",
      },
    },
    ...extra,
  });
  try {
    const ok = await post(`${server.url}/v1/warm-start?dry_run=true`, spec({}), auth);
    assert.equal(ok.status, 200, ok.text);
    for (const query of ["?dry_run=true", ""]) {
      for (const evil of ["evil", "evil_root"]) {
        const r = await post(
          `${server.url}/v1/warm-start${query}`,
          spec({ ckpt_to_initialize_from: `s3://models/prod/${evil}/` }),
          auth,
        );
        assert.equal(r.status, 403, r.text);
        assert.equal(r.body.error?.code, "location_not_allowed");
      }
      // The allowed prefix without its slash is the object `prod`, not the directory.
      for (const field of ["output", "ckpt_to_initialize_from", "new_checkpoint"]) {
        const r = await post(
          `${server.url}/v1/warm-start${query}`,
          spec({ [field]: "s3://models/prod" }),
          auth,
        );
        assert.equal(r.status, 403, r.text);
        assert.equal(r.body.error?.field, field);
      }
    }

    // The same escape through an event job file beside a NEW checkpoint.
    await put(
      "models",
      "prod/runs/1/model.ckpt-1.index",
      Deno.readFileSync(`${ROOT}docs/sample/new/model.ckpt-1.index`),
    );
    const job = {
      ckpt_to_initialize_from: "../../evil/",
      new_checkpoint: "model.ckpt-1",
      output: "../../merged/x",
    };
    const etag = await put("models", "prod/runs/1/warm_start.json", JSON.stringify(job));
    const r = await post(
      `${server.url}/v1/events?wait=true`,
      awsEvent("models", "prod/runs/1/warm_start.json", { etag }),
      auth,
    );
    assert.equal(r.status, 200, r.text);
    const [result] = r.body.results as Array<Record<string, string>>;
    assert.equal(result.status, "refused", r.text);
    assert.match(result.reason, /LocationNotAllowedError/);

    await assertHealthy(server.url);
    const after = { models: await keys(client, "models"), other: await keys(client, "other") };
    assert.deepEqual(after.other, before.other);
    assert.deepEqual(
      after.models.filter((k) => !before.models.includes(k)),
      ["prod/runs/1/model.ckpt-1.index", "prod/runs/1/warm_start.json"],
      "nothing but the test's own uploads",
    );
  } finally {
    await server.stop();
    client.destroy();
    await s3.stop();
  }
});
