/**
 * Split jobs on real S3 servers on 127.0.0.1: the TF-made ported scenarios through the task path
 * with tasks of a few dozen bytes (moto, told to take parts that small), compared
 * with TensorFlow's result; on versitygw, a synthetic job with server-side copies and a remap
 * crossing part and task boundaries, byte-identical to the one-process run; a stopped job resumed.
 */
import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { routingStore } from "../../lib/storage/router.ts";
import { S3Store } from "../../lib/storage/s3_store.ts";
import type { Store } from "../../lib/storage/store.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { runWarmStart } from "../../lib/warmstart/run.ts";
import { writeSynthetic } from "../../bench/synthetic.ts";
import { startMoto, startVersitygw } from "../storage/_servers.ts";
import { compareWithExpected, listScenarios, PORTED_ROOT } from "./_scenarios.ts";

async function upload(store: Store, dir: string, prefix: string): Promise<void> {
  for (const e of Deno.readDirSync(dir)) {
    const path = posix.join(dir, e.name);
    if (e.isDirectory) await upload(store, path, `${prefix}/${e.name}`);
    else await store.put(`${prefix}/${e.name}`, await Deno.readFile(path));
  }
}

// versitygw refuses parts under 5 MiB (as S3 does); moto takes a smaller minimum.
Deno.test("split on S3 (moto): every ported scenario in tasks of 48 bytes matches TensorFlow; nothing left", async () => {
  const server = await startMoto({ buckets: ["split"], env: { S3_UPLOAD_PART_MIN_SIZE: "1" } });
  const s3 = new S3Store({ env: server.env, minPartSize: 1, partSize: 64 });
  try {
    const store = routingStore({ s3 });
    const scenarios = listScenarios(PORTED_ROOT).filter((s) => !s.expectedError);
    assert.ok(scenarios.length > 80, `${scenarios.length} scenarios`);
    let tasks = 0;
    for (const s of scenarios) {
      const base = `s3://split/in/${s.name}`;
      await upload(s3, s.dir, base);
      const spec = {
        ...parseJobSpec(s.spec, { baseDir: base }),
        output: `s3://split/out/${s.name}/model-0`,
      };
      const report = await runWarmStart(spec, {
        store,
        split: { taskBytes: 48 },
        tuning: { memoryBytes: 2048 },
      });
      tasks += report.totals.tasks ?? 0;
      assert.deepEqual(await compareWithExpected(s, spec.output, store), [], s.name);
      const left = (await s3.list(`s3://split/out/${s.name}/.warm_start/`)).filter((l) =>
        !l.endsWith(".done.json")
      );
      assert.deepEqual(left, [], `${s.name}: job files left`);
      assert.deepEqual(await s3.listUploads(`s3://split/out/${s.name}/`), [], s.name);
    }
    assert.ok(tasks > 3 * scenarios.length, `only ${tasks} tasks`);
  } finally {
    s3.client.destroy();
    await server.stop();
  }
});

Deno.test("split on versitygw: server-side copies and a shuffled remap in tasks, byte-identical to one process; a stopped job resumes", async () => {
  const server = await startVersitygw({ buckets: ["bigsplit"] });
  const s3 = new S3Store({ env: server.env });
  try {
    // ~6 MiB embedding remap + 2 x 12 MiB dense tensors (server-side copies).
    await writeSynthetic(s3, "s3://bigsplit/job", {
      vocab: 25_000,
      dim: 64,
      dense: 2,
      denseMiB: 12,
      orders: ["shuffled"],
    });
    const store = routingStore({ s3 });
    const json = JSON.parse(
      new TextDecoder().decode(await s3.read("s3://bigsplit/job/spec_shuffled.json")),
    );
    const spec = parseJobSpec(json, { baseDir: "s3://bigsplit/job" });
    const one = { ...spec, output: "s3://bigsplit/one/model-0" };
    const whole = await runWarmStart(one, { store, tuning: { memoryBytes: 4 << 20 } });
    const split = { ...spec, output: "s3://bigsplit/split/model-0" };
    // Stop after a few tasks (as a crash would), then run again: the rest runs, the bytes agree.
    let ran = 0;
    const stopping = runWarmStart(split, {
      store,
      tuning: { memoryBytes: 4 << 20 },
      split: {
        taskBytes: 5 << 20,
        runTasks: () => {
          ran++;
          return Promise.reject(new Error("stopped"));
        },
      },
    });
    await assert.rejects(stopping, /stopped/);
    assert.equal(ran, 1);
    const first = await runWarmStart(split, {
      store,
      tuning: { memoryBytes: 4 << 20 },
      split: { taskBytes: 5 << 20 },
    });
    assert.ok((first.totals.tasks ?? 0) >= 4, `${first.totals.tasks} tasks`);
    // The same copies as the one-process writer's (the part rules are one set).
    assert.ok((whole.requests?.copyParts ?? 0) > 0, "dense tensors copied server-side");
    assert.equal(first.requests?.copyParts, whole.requests?.copyParts);
    for (const suffix of [".index", ".data-00000-of-00001"]) {
      const a = await s3.read(`${one.output}${suffix}`);
      const b = await s3.read(`${split.output}${suffix}`);
      assert.equal(a.length, b.length, suffix);
      assert.ok(a.every((x, i) => x === b[i]), `${suffix} differs`);
    }
    assert.deepEqual(await s3.listUploads("s3://bigsplit/"), []);
    assert.deepEqual(
      (await s3.list("s3://bigsplit/split/.warm_start/")).filter((l) => !l.endsWith("done.json")),
      [],
    );
  } finally {
    s3.client.destroy();
    await server.stop();
  }
});
