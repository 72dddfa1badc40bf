import { deepEqual as assertEquals } from "node:assert/strict";
import { latestCheckpoint, modelCheckpointPath } from "../../lib/function/latest_checkpoint.ts";
import { FileStore } from "../../lib/storage/file_store.ts";

Deno.test("modelCheckpointPath() reads TF's checkpoint state text", () => {
  const text =
    'model_checkpoint_path: "model.ckpt-20"\nall_model_checkpoint_paths: "model.ckpt-10"\n' +
    'all_model_checkpoint_paths: "model.ckpt-20"\n';
  assertEquals(modelCheckpointPath(text), "model.ckpt-20");
  assertEquals(
    modelCheckpointPath('model_checkpoint_path: "/abs/dir \\"q\\"/m"'),
    '/abs/dir "q"/m',
  );
  assertEquals(modelCheckpointPath("garbage"), undefined);
});

Deno.test("latestCheckpoint() follows the state file, else the highest step", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wsf-latest-" });
  const store = new FileStore();
  const touch = (name: string, text = "x") => Deno.writeTextFile(`${dir}/${name}`, text);
  try {
    assertEquals(await latestCheckpoint(store, dir), undefined);
    await touch("model.ckpt-9.index");
    await touch("model.ckpt-10.index");
    await touch("model.ckpt-10.data-00000-of-00001");
    await Deno.mkdir(`${dir}/sub`);
    await touch("sub/model.ckpt-99.index");
    assertEquals(await latestCheckpoint(store, dir), `${dir}/model.ckpt-10`);
    await touch("checkpoint", 'model_checkpoint_path: "model.ckpt-9"\n');
    assertEquals(await latestCheckpoint(store, `${dir}/`), `${dir}/model.ckpt-9`);
    // A state file naming a missing checkpoint falls back to listing.
    await touch("checkpoint", 'model_checkpoint_path: "model.ckpt-77"\n');
    assertEquals(await latestCheckpoint(store, dir), `${dir}/model.ckpt-10`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
