/**
 * Corrupt input bytes are never published: a flipped byte in an OLD tensor that is copied
 * verbatim, or in one that is remapped, or in a NEW tensor that is kept, fails the job like TF's
 * own warm_start (DataLossError): exit 2, CorruptCheckpointError, and nothing at the output.
 */
import assert from "node:assert/strict";
import { copySample, filesBelow, flipTensorByte, lastLog, runCli, tempFiles } from "./_jobs.ts";

async function withSample(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "ws-corrupt-" });
  try {
    await copySample(dir);
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const [what, side, key] of [
    ["an OLD tensor copied verbatim", "old/model.ckpt-100", "dense/kernel"],
    ["an OLD tensor remapped by vocabulary", "old/model.ckpt-100", "emb"],
    ["a NEW tensor kept as it is", "new/model.ckpt-1", "global_step"],
    ["NEW rows kept as the remap's backup", "new/model.ckpt-1", "emb"],
  ] as const
) {
  Deno.test(`corrupt inputs: a flipped byte in ${what} -> exit 2, nothing published`, async () => {
    await withSample(async (dir) => {
      if (what.startsWith("NEW rows")) {
        // Make the remap keep NEW's rows for new tokens, so NEW's embedding is read in part.
        const spec = JSON.parse(await Deno.readTextFile(`${dir}/warm_start.json`));
        spec.var_name_to_vocab_info.emb.backup_initializer = "new";
        await Deno.writeTextFile(`${dir}/warm_start.json`, JSON.stringify(spec));
      }
      await flipTensorByte(`${dir}/${side}`, key, 1);
      const r = await runCli(["warm-start", "--spec", "warm_start.json"], { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, "");
      const log = lastLog(r.stderr) as { error: { type: string; message: string } };
      assert.equal(log.error.type, "CorruptCheckpointError");
      assert.match(log.error.message, new RegExp(`Checksum does not match for ${key}`));
      assert.deepEqual(
        filesBelow(`${dir}/merged`).filter((f) => !f.startsWith(".warm_start/")),
        [],
      );
      assert.deepEqual(filesBelow(`${dir}/merged/.warm_start`), [], "no marker, no claim left");
      assert.deepEqual(tempFiles(dir), [], "no staged leftovers");
    });
  });
}

Deno.test("corrupt inputs: the same job on intact inputs publishes (control)", async () => {
  await withSample(async (dir) => {
    const r = await runCli(["warm-start", "--spec", "warm_start.json"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(filesBelow(`${dir}/merged`).includes("model.ckpt-1.index"));
  });
});
