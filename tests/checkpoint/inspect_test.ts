import assert from "node:assert/strict";
import { fromFileUrl } from "./_paths.ts";
import { fixturePath, manifest } from "./_fixtures.ts";

const ROOT = fromFileUrl(new URL("../../", import.meta.url));

async function inspect(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "inspect", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("deno task inspect <dir> --json --verify lists variables like tf.train.list_variables", async () => {
  const { code, stdout, stderr } = await inspect(fixturePath("tf1"), "--json", "--verify");
  assert.equal(code, 0, stderr);
  const json = JSON.parse(stdout);
  assert.deepEqual(
    json.variables.map((v: { name: string; dtype: string; shape: number[] }) => ({
      name: v.name,
      dtype: v.dtype,
      shape: v.shape,
    })),
    manifest.fixtures.tf1.variables.map((v) => ({ name: v.name, dtype: v.dtype, shape: v.shape })),
  );
  const emb = json.variables.find((v: { name: string }) => v.name === "emb");
  assert.deepEqual({ bytes: emb.bytes, shard: emb.shard, slices: emb.slices }, {
    bytes: 60,
    shard: [0],
    slices: 2,
  });
  const kernel = json.variables.find((v: { name: string }) => v.name === "dense/kernel");
  assert.deepEqual({ bytes: kernel.bytes, shard: kernel.shard, slices: kernel.slices }, {
    bytes: 48,
    shard: 0,
    slices: 0,
  });
});

Deno.test("deno task inspect <prefix> prints one line per variable (slice keys and header hidden)", async () => {
  const { code, stdout } = await inspect(fixturePath(manifest.fixtures.sharded.prefix));
  assert.equal(code, 0);
  const want = manifest.fixtures.sharded.variables.map((v) =>
    `${v.name}\t${v.dtype}\t[${v.shape.join(", ")}]`
  );
  assert.deepEqual(stdout.trimEnd().split("\n"), want);
});

Deno.test("deno task inspect on corrupt checkpoints: exit 2, one line on stderr, no stack trace", async () => {
  for (
    const [name, extra] of [["bad_magic", []], ["data_block_flip", []], ["tensor_flip", [
      "--verify",
    ]]] as const
  ) {
    const { code, stdout, stderr } = await inspect(fixturePath(`corrupt/${name}`), ...extra);
    assert.equal(code, 2, `${name}: ${stdout}`);
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0], /^inspect: CorruptCheckpointError: /);
    assert.ok(!stderr.includes("    at "));
  }
  const missing = await inspect(fixturePath("does/not/exist"));
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^inspect: CheckpointNotFoundError: No checkpoint at .*\n$/);
  const usage = await inspect();
  assert.equal(usage.code, 2);
});
