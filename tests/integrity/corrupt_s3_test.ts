/**
 * Corrupt bytes on S3 (versitygw on 127.0.0.1): a tensor copied server-side never passes through
 * the function, so it is re-read to check its CRC32C before anything is published (unless the
 * job trusts the store's own checksums with verifyCopies: false); a remapped one is checked on
 * the way. Nothing is published, no multipart upload is left open.
 */
import assert from "node:assert/strict";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { CorruptCheckpointError } from "../../lib/checkpoint/errors.ts";
import { dataLocation } from "../../lib/checkpoint/naming.ts";
import { routingStore } from "../../lib/storage/router.ts";
import { S3Store } from "../../lib/storage/s3_store.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { syntheticJob } from "./_jobs.ts";

const BUCKET = "integrity";
const MiB = 1024 * 1024;

Deno.test({
  name: "corrupt inputs on S3: a server-side copy and a remap with a flipped byte publish nothing",
  sanitizeOps: false,
  sanitizeResources: false,
}, async () => {
  const server = await startVersitygw({ buckets: [BUCKET] });
  const s3 = new S3Store({ env: server.env, partSize: 5 * MiB });
  const store = routingStore({ s3 });
  try {
    const dir = `s3://${BUCKET}/job`;
    // One dense tensor of 6 MiB (copied server-side) beside a small remapped embedding.
    const specLocation = await syntheticJob(s3, dir, {
      vocab: 2000,
      dim: 8,
      dense: 1,
      denseMiB: 6,
    });
    const json = JSON.parse(new TextDecoder().decode(await s3.read(specLocation)));
    const flip = async (key: string) => {
      const prefix = `${dir}/old/model-0`;
      const index = await readBundleIndex(s3, prefix);
      const e = index.get(key)!;
      const shard = dataLocation(prefix, e.shardId, index.header.numShards);
      const bytes = await s3.read(shard);
      bytes[e.offset + 3] ^= 0x40;
      await s3.put(shard, bytes);
      return async () => {
        bytes[e.offset + 3] ^= 0x40;
        await s3.put(shard, bytes);
      };
    };
    for (const key of ["dense_0/kernel", "embedding/weights"]) {
      const restore = await flip(key);
      const output = `${dir}/out-${key.replace("/", "_")}/model-0`;
      const spec = { ...parseJobSpec(json, { baseDir: dir }), output };
      await assert.rejects(runWarmStart(spec, { store }), (e: unknown) => {
        assert.ok(e instanceof CorruptCheckpointError, String(e));
        assert.match(e.message, new RegExp(`Checksum does not match for ${key}`));
        return true;
      });
      assert.deepEqual(
        (await s3.list(`${dir}/out-`)).filter((l) => !l.includes("/.warm_start/")),
        [],
        "nothing published",
      );
      assert.deepEqual(await s3.listUploads(`${dir}/`), [], "no multipart upload left open");
      if (key === "dense_0/kernel") {
        // Trusting the store's checksums for copies: the copy is not re-read, so it publishes.
        const trusted = { ...spec, output: `${dir}/trusted/model-0` };
        const report = await runWarmStart(trusted, { store, verifyCopies: false });
        assert.equal(report.outcome, "written");
      }
      await restore();
    }
    // Intact inputs: the job publishes (control).
    const ok = { ...parseJobSpec(json, { baseDir: dir }), output: `${dir}/ok/model-0` };
    assert.equal((await runWarmStart(ok, { store })).outcome, "written");
  } finally {
    s3.client.destroy();
    await server.stop();
  }
});
