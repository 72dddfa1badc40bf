/**
 * Allow-list escapes on local files, through the real server (`main.ts serve`) and the CLI:
 * state files naming checkpoints outside, locations equal to an entry without its slash, entries
 * without a slash admitting look-alikes, symbolic links for reads and writes, a FIFO as a
 * vocabulary. Every attack is refused with a typed 4xx (exit 2), nothing is written outside the
 * allowed directory, and the server answers /healthz within 1 s afterwards.
 */
import assert from "node:assert/strict";
import { runCli, startServer } from "../function/_main_process.ts";
import { assertHealthy, copySample, post, sampleSpec, snapshot } from "./_attack.ts";

const TOKEN = "security-suite-token-0123456789";
const auth = { authorization: `Bearer ${TOKEN}` };

/** dir/allowed: the sample (old/, new/); dir/outside: a copy of OLD the job must never read. */
async function layout(): Promise<{ dir: string; allowed: string; outside: string }> {
  const dir = await Deno.makeTempDir({ prefix: "wsf-sec-allow-" });
  const allowed = `${dir}/allowed`;
  await copySample(allowed);
  await Deno.mkdir(`${dir}/outside`);
  await Deno.mkdir(`${dir}/allowed-other`);
  for (const f of Deno.readDirSync(`${allowed}/old`)) {
    await Deno.copyFile(`${allowed}/old/${f.name}`, `${dir}/outside/${f.name}`);
  }
  return { dir, allowed, outside: `${dir}/outside` };
}

async function stateFile(dir: string, path: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(`${dir}/checkpoint`, `model_checkpoint_path: ${JSON.stringify(path)}\n`);
}

Deno.test("security: local allow-list escapes through the server are 403/422, nothing leaves", async () => {
  const { dir, allowed, outside } = await layout();
  // The entry without a trailing slash: a directory by construction.
  const server = await startServer({
    WARM_START_TOKEN: TOKEN,
    WARM_START_ALLOWED: allowed,
    WARM_START_BASE_DIR: allowed,
  });
  const before = { outside: snapshot(outside), other: snapshot(`${dir}/allowed-other`) };
  const url = `${server.url}/v1/warm-start`;
  const refused = async (spec: unknown, status: number, code: RegExp, query = "") => {
    const r = await post(`${url}${query}`, spec, auth);
    assert.equal(r.status, status, `${JSON.stringify(spec)} -> ${r.text}`);
    assert.match(String(r.body.error?.code), code);
    assert.ok(r.ms < 5000, `answered in ${r.ms} ms`);
    return r;
  };
  try {
    // Control: the sample job is allowed (dry run).
    const ok = await post(`${url}?dry_run=true`, sampleSpec(allowed), auth);
    assert.equal(ok.status, 200, ok.text);

    // 1. State files naming a checkpoint outside: absolute, ../.., file://, another scheme.
    await stateFile(`${allowed}/evil_abs`, `${outside}/model.ckpt-100`);
    await stateFile(`${allowed}/evil_rel`, "../../outside/model.ckpt-100");
    await stateFile(`${allowed}/evil_url`, `file://${outside}/model.ckpt-100`);
    await stateFile(`${allowed}/evil_s3`, "s3://other-bucket/stolen/model.ckpt-100");
    for (const evil of ["evil_abs", "evil_rel", "evil_url", "evil_s3"]) {
      for (const query of ["?dry_run=true", ""]) {
        const r = await refused(
          sampleSpec(allowed, { ckpt_to_initialize_from: `${allowed}/${evil}/` }),
          403,
          /^location_not_allowed$/,
          query,
        );
        assert.equal(r.body.error?.type, "LocationNotAllowedError", r.text);
      }
    }

    // 2. A location equal to the entry without its slash ("." from the base dir), and a
    //    look-alike of the entry: refused by the spec check, naming the field.
    let r = await refused(sampleSpec(allowed, { output: "." }), 400, /^invalid_spec$/);
    assert.equal(r.body.error?.field, "output");
    r = await refused(sampleSpec(allowed, { output: allowed }), 403, /^location_not_allowed$/);
    assert.equal(r.body.error?.field, "output");
    r = await refused(
      sampleSpec(allowed, { output: `${dir}/allowed-other/model.ckpt-1` }),
      403,
      /^location_not_allowed$/,
    );
    assert.equal(r.body.error?.field, "output");

    // 3. Symbolic links: an input, a vocabulary and the output directory pointing outside.
    await Deno.symlink(outside, `${allowed}/linked_old`);
    await Deno.symlink(`${allowed}/old/old_vocab.txt`, `${allowed}/inner_vocab.txt`); // inside: fine
    await Deno.symlink(`${outside}`, `${allowed}/linked_out`);
    await Deno.symlink(`${outside}/model.ckpt-100.index`, `${allowed}/vocab_link.txt`);
    await refused(
      sampleSpec(allowed, { ckpt_to_initialize_from: `${allowed}/linked_old/model.ckpt-100` }),
      403,
      /^location_not_allowed$/,
    );
    await refused(
      sampleSpec(allowed, { output: `${allowed}/linked_out/model.ckpt-1` }),
      403,
      /^location_not_allowed$/,
    );
    const vocab = (path: string) =>
      sampleSpec(allowed, {
        var_name_to_vocab_info: {
          emb: {
            new_vocab: path,
            new_vocab_size: 5,
            num_oov_buckets: 1,
            old_vocab: `${allowed}/old/old_vocab.txt`,
          },
        },
      });
    await refused(vocab(`${allowed}/vocab_link.txt`), 403, /^location_not_allowed$/);
    const inner = await post(`${url}?dry_run=true`, {
      ...vocab(`${allowed}/new/new_vocab.txt`),
      var_name_to_vocab_info: {
        emb: {
          new_vocab: `${allowed}/new/new_vocab.txt`,
          new_vocab_size: 5,
          num_oov_buckets: 1,
          old_vocab: `${allowed}/inner_vocab.txt`,
        },
      },
    }, auth);
    assert.equal(inner.status, 200, `a link that stays inside is usable: ${inner.text}`);

    // 4. A FIFO as the vocabulary: refused at once (it would block a read forever).
    const fifo = `${allowed}/new/fifo_vocab.txt`;
    const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(mk.success, "mkfifo");
    for (const query of ["?dry_run=true", ""]) {
      r = await refused(vocab(fifo), 422, /^not_regular_file$/, query);
      assert.match(String(r.body.error?.message), /FIFO/);
    }
    const health = await assertHealthy(server.url);
    assert.equal(health.running, 0);

    // Nothing was written outside, nor in the look-alike directory, nor any output inside.
    assert.deepEqual(snapshot(outside), before.outside);
    assert.deepEqual(snapshot(`${dir}/allowed-other`), before.other);
    assert.equal(
      snapshot(allowed).some((f) => f.startsWith("merged/") || f.includes(".warm_start")),
      false,
    );
    // The output "." would have written dir/allowed.index and dir/checkpoint.
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name).sort(),
      ["allowed", "allowed-other", "outside"],
    );
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("security: a state file naming a checkpoint outside the allow-list: CLI exits 2", async () => {
  const { dir, allowed, outside } = await layout();
  try {
    await stateFile(`${allowed}/evil`, "../../outside/model.ckpt-100");
    const spec = sampleSpec(allowed, {
      ckpt_to_initialize_from: "evil/",
      new_checkpoint: "new/model.ckpt-1",
      output: "merged/model.ckpt-1",
    });
    await Deno.writeTextFile(`${allowed}/job.json`, JSON.stringify(spec));
    const before = snapshot(outside);
    const r = await runCli(["warm-start", "--spec", `${allowed}/job.json`], {
      env: { WARM_START_ALLOWED: `${allowed}/` },
    });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /location_not_allowed/);
    assert.deepEqual(snapshot(outside), before);
    assert.equal(snapshot(allowed).some((f) => f.startsWith("merged/")), false);
    // The same job through a symlinked OLD directory: exit 2 as well.
    await Deno.symlink(outside, `${allowed}/linked`);
    await Deno.writeTextFile(
      `${allowed}/job2.json`,
      JSON.stringify({ ...spec, ckpt_to_initialize_from: "linked/model.ckpt-100" }),
    );
    const r2 = await runCli(["warm-start", "--spec", `${allowed}/job2.json`], {
      env: { WARM_START_ALLOWED: `${allowed}/` },
    });
    assert.equal(r2.code, 2, r2.stderr);
    assert.match(r2.stderr, /symbolic link/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
