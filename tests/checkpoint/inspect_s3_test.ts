import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { S3Store } from "../../lib/storage/s3_store.ts";
import { startVersitygw } from "../storage/_servers.ts";
import { fixturePath, manifest } from "./_fixtures.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

// `deno task inspect s3://...` against a real S3 server (versitygw on 127.0.0.1), configured only
// by the standard AWS environment variables.
Deno.test("deno task inspect s3://bucket/dir --json --verify works against the S3 server", async () => {
  const server = await startVersitygw({ buckets: ["inspect"] });
  try {
    const s3 = new S3Store({ env: server.env });
    const dir = fixturePath("tf1");
    for (const e of Deno.readDirSync(dir)) {
      if (e.isFile) {
        await s3.put(`s3://inspect/tf1/${e.name}`, await Deno.readFile(posix.join(dir, e.name)));
      }
    }
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "inspect", "s3://inspect/tf1", "--json", "--verify"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { ...server.env, NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const json = JSON.parse(new TextDecoder().decode(out.stdout));
    assert.deepEqual(
      json.variables.map((
        v: { name: string; dtype: string; shape: number[] },
      ) => [v.name, v.dtype, v.shape]),
      manifest.fixtures.tf1.variables.map((v) => [v.name, v.dtype, v.shape]),
    );
    assert.ok(!stderr.includes(server.env.AWS_SECRET_ACCESS_KEY), "no credentials in output");
  } finally {
    await server.stop();
  }
});
