import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { StorageError } from "../../lib/storage/errors.ts";
import { routingStore } from "../../lib/storage/router.ts";
import { S3Store } from "../../lib/storage/s3_store.ts";
import type { Store } from "../../lib/storage/store.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { writeSynthetic } from "../../bench/synthetic.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { match, startFaultProxy } from "../storage/_fault_proxy.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { pendingUploads } from "../storage/_util.ts";
import { compareWithExpected, listScenarios, PORTED_ROOT } from "./_scenarios.ts";
import { recordingStore } from "../_stores.ts";
import { CorruptCheckpointError } from "../../lib/checkpoint/mod.ts";

// The engine against a real S3 server (versitygw on 127.0.0.1): TF-made scenarios uploaded to a
// bucket, warm-started bucket to bucket, compared with TF's result; a synthetic job large enough
// for multipart uploads and server-side copies, compared with the same job on local files; and a
// permanent storage fault that must end with nothing published.

async function upload(store: Store, dir: string, prefix: string): Promise<void> {
  for (const e of Deno.readDirSync(dir)) {
    const path = posix.join(dir, e.name);
    if (e.isDirectory) await upload(store, path, `${prefix}/${e.name}`);
    else await store.put(`${prefix}/${e.name}`, await Deno.readFile(path));
  }
}

/** The shuffled spec a synthetic job wrote under `dir` (bench/synthetic.ts). */
async function specJson(store: Store, dir: string): Promise<unknown> {
  return JSON.parse(new TextDecoder().decode(await store.read(`${dir}/spec_shuffled.json`)));
}

async function listAll(store: Store, prefix: string): Promise<string[]> {
  return await store.list(prefix);
}

Deno.test("warm-start bucket to bucket on versitygw matches TensorFlow", async () => {
  const server = await startVersitygw({ buckets: ["wsbucket"] });
  try {
    const s3 = new S3Store({ env: server.env });
    const store = routingStore({ s3 });
    const names = [
      "real_embedding_shuffled_grown_vocab",
      "real_output_layer_class_vocab",
      "wsu_25_more_settings",
      "wsu_31_object_based_checkpoint",
    ];
    const scenarios = listScenarios(PORTED_ROOT).filter((s) => names.includes(s.name));
    assert.equal(scenarios.length, names.length);
    for (const s of scenarios) {
      await upload(s3, s.dir, `s3://wsbucket/in/${s.name}`);
      const spec = {
        ...parseJobSpec(s.spec, { baseDir: `s3://wsbucket/in/${s.name}` }),
        output: `s3://wsbucket/out/${s.name}/model-0`,
      };
      const report = await runWarmStart(spec, { store });
      assert.ok(report.totals.warmStarted > 0, s.name);
      assert.deepEqual(await compareWithExpected(s, spec.output, store), [], s.name);
      const state = new TextDecoder().decode(
        await s3.read(`s3://wsbucket/out/${s.name}/checkpoint`),
      );
      assert.equal(
        state,
        'model_checkpoint_path: "model-0"\nall_model_checkpoint_paths: "model-0"\n',
      );
    }
  } finally {
    await server.stop();
  }
});

Deno.test("a multipart job on S3 equals the same job on local files; a fault publishes nothing", async () => {
  const server = await startVersitygw({ buckets: ["big"] });
  const proxy = startFaultProxy(server.endpoint);
  const local = await Deno.makeTempDir({ prefix: "ws-s3job-" });
  try {
    // ~26 MiB embedding remap + 2 x 6 MiB dense tensors (server-side copies).
    const options = {
      vocab: 100_000,
      dim: 64,
      dense: 2,
      denseMiB: 6,
      orders: ["shuffled" as const],
    };
    const s3 = new S3Store({ env: server.env });
    await writeSynthetic(s3, "s3://big/job", options);
    await writeSynthetic(new FileStore(), local, options);
    const store = routingStore({ s3 });
    const json = await specJson(s3, "s3://big/job");
    const spec = parseJobSpec(json, { baseDir: "s3://big/job" });
    await runWarmStart(spec, { store });
    const localSpec = parseJobSpec(json, { baseDir: local });
    await runWarmStart(localSpec, { store: new FileStore() });
    for (const suffix of [".index", ".data-00000-of-00001"]) {
      const a = await s3.read(`${spec.output}${suffix}`);
      const b = await Deno.readFile(`${localSpec.output}${suffix}`);
      assert.equal(a.length, b.length, suffix);
      assert.ok(a.every((x, i) => x === b[i]), `${suffix} differs between S3 and local`);
    }

    // The same job through a proxy that fails every part upload: retried, then given up.
    const faulty = new S3Store({
      env: { ...server.env, AWS_ENDPOINT_URL: proxy.endpoint, AWS_ENDPOINT_URL_S3: proxy.endpoint },
    });
    proxy.inject(
      match.uploadPart,
      { kind: "status", status: 500, code: "InternalError" },
      Infinity,
    );
    const output = "s3://big/failed/model-0";
    // A small budget: the remap spills beside the output first (single PUTs, not parts).
    await assert.rejects(
      runWarmStart({ ...spec, output }, {
        store: routingStore({ s3: faulty }),
        tuning: { memoryBytes: 2 << 20 },
      }),
      (e: unknown) => e instanceof StorageError,
    );
    assert.ok(
      proxy.log.some((r) => r.method === "PUT" && r.path.includes("/.warm_start/tmp/")),
      "the remap spilled",
    );
    assert.ok(proxy.faults().length > 1, "part uploads were retried");
    assert.deepEqual(await listAll(s3, "s3://big/failed/"), [], "no output, no temporary object");
    assert.equal(await pendingUploads(s3.client, "big"), 0);
  } finally {
    await proxy.close();
    await server.stop();
    await Deno.remove(local, { recursive: true });
  }
});

Deno.test("a bucket remap on S3: copied tensors are checked while the window pass runs; a corrupt one publishes nothing", async () => {
  const server = await startVersitygw({ buckets: ["chk"] });
  try {
    // A 5 MiB embedding remapped by buckets beside a 6 MiB dense tensor copied server-side.
    const options = {
      vocab: 20_000,
      dim: 64,
      dense: 1,
      denseMiB: 6,
      orders: ["shuffled" as const],
    };
    const s3 = new S3Store({ env: server.env });
    const job = await writeSynthetic(s3, "s3://chk/job", options);
    const spec = parseJobSpec(await specJson(s3, "s3://chk/job"), { baseDir: "s3://chk/job" });
    const oldData = "s3://chk/job/old/model-0.data-00000-of-00001";
    const tuning = { memoryBytes: 1 << 20, strategy: "buckets" as const };
    const store = recordingStore(routingStore({ s3 }));
    const report = await runWarmStart(spec, { store, tuning });
    assert.equal(report.variables.find((v) => v.vocab)?.vocab?.read?.strategy, "buckets");
    const at = (pred: (r: (typeof store.requests)[number]) => boolean) =>
      store.requests.findIndex(pred);
    const firstCheck = at((r) =>
      r.op === "readRange" && r.location === oldData && r.range!.offset >= job.oldEmbeddingBytes
    );
    const firstSpill = at((r) => r.op === "put" && r.location.includes("/.warm_start/tmp/"));
    const firstBucketRead = at((r) =>
      r.op === "readRange" && r.location.includes("/.warm_start/tmp/")
    );
    assert.ok(
      firstCheck >= 0 && firstSpill >= 0,
      "the dense tensor was checked, the remap spilled",
    );
    assert.ok(
      firstCheck < firstSpill,
      `checked at request ${firstCheck}, spilled at ${firstSpill}`,
    );
    assert.ok(firstCheck < firstBucketRead);
    assert.ok((report.requests?.copyParts ?? 0) >= 1, "the dense tensor was copied server-side");

    // The dense tensor with one flipped byte: TF's DataLossError, nothing published or left over.
    const bytes = await s3.read(oldData);
    bytes[job.oldEmbeddingBytes + 12345] ^= 0x40;
    await s3.put(oldData, bytes);
    const output = "s3://chk/corrupt/model-0";
    await assert.rejects(
      runWarmStart({ ...spec, output }, { store: routingStore({ s3 }), tuning }),
      (e: unknown) =>
        e instanceof CorruptCheckpointError &&
        /Checksum does not match for dense_0\/kernel/.test(e.message),
    );
    assert.deepEqual(
      (await listAll(s3, "s3://chk/corrupt/")).filter((l) => !l.endsWith(".claim.json")),
      [],
      "no output, no temporary object",
    );
    assert.equal(await pendingUploads(s3.client, "chk"), 0);
  } finally {
    await server.stop();
  }
});
