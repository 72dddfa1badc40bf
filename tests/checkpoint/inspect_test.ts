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
  const total = manifest.fixtures.sharded.variables.reduce(
    (n, v) => n + v.shape.reduce((a, b) => a * b, 1),
    0,
  );
  assert.deepEqual(stdout.trimEnd().split("\n"), [...want, `# Total number of params: ${total}`]);
});

Deno.test("deno task inspect on corrupt checkpoints: exit 2, the error once, no stack trace", async () => {
  for (
    const [name, extra] of [["bad_magic", []], ["data_block_flip", []], ["tensor_flip", [
      "--verify",
    ]]] as const
  ) {
    const { code, stdout, stderr } = await inspect(fixturePath(`corrupt/${name}`), ...extra);
    assert.equal(code, 2, `${name}: ${stdout}`);
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.filter((l) => l.startsWith("error: ")).length, 1, stderr);
    assert.match(lines[0], /^error: /);
    assert.ok(lines.slice(1).every((l) => /^ {2}(location|variable): /.test(l)), stderr);
    assert.ok(!stderr.includes("    at "));
  }
  // A missing checkpoint may still be on its way (an upload): exit 75, a retry may help.
  const missing = await inspect(fixturePath("does/not/exist"));
  assert.equal(missing.code, 75);
  assert.match(missing.stderr, /^error: No checkpoint at .*\n/);
  const usage = await inspect();
  assert.equal(usage.code, 2);
});
