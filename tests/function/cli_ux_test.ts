/**
 * The CLI as a person uses it: help and version, unknown options, what inspect prints (checked
 * against TensorFlow's inspect_checkpoint and numpy), inspect diff, progress and logs on and off a
 * terminal (a real pty, under `script`), LOG_LEVEL, errors printed once, and exit codes.
 */
import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { runPython } from "../warmstart/_python.ts";
import { freePort, MAIN, runCli } from "./_main_process.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const SAMPLE = `${REPO}docs/sample`;
const KERAS = `${REPO}tests/fixtures/data/keras/keras3_sequential_adam`;

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "ws-cli-ux-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The sample job with its output in `dir`. */
async function sampleSpec(dir: string, extra: Record<string, unknown> = {}): Promise<string> {
  const spec = JSON.parse(await Deno.readTextFile(`${SAMPLE}/warm_start.json`));
  spec.ckpt_to_initialize_from = `${SAMPLE}/old/`;
  spec.new_checkpoint = `${SAMPLE}/new/model.ckpt-1`;
  spec.output = `${dir}/merged/model.ckpt-1`;
  spec.var_name_to_vocab_info.emb.new_vocab = `${SAMPLE}/new/new_vocab.txt`;
  spec.var_name_to_vocab_info.emb.old_vocab = `${SAMPLE}/old/old_vocab.txt`;
  await Deno.writeTextFile(`${dir}/job.json`, JSON.stringify({ ...spec, ...extra }));
  return `${dir}/job.json`;
}

Deno.test("CLI: --help on every command, --version from deno.json", async () => {
  const version = JSON.parse(await Deno.readTextFile(`${REPO}deno.json`)).version;
  const v = await runCli(["--version"]);
  assert.equal(v.code, 0);
  assert.equal(v.stdout, `warm-start ${version}\n`);
  const cases: [string[], RegExp][] = [
    [["--help"], /Run "main\.ts COMMAND --help"/],
    [["warm-start", "--help"], /Job spec fields[\s\S]*ckpt_to_initialize_from[\s\S]*Examples:/],
    [["inspect", "-h"], /^Usage: main\.ts inspect LOCATION/],
    [["inspect", "diff", "-h"], /^Usage: main\.ts inspect diff A B/],
    [["serve", "--help"], /^Usage: main\.ts serve/],
  ];
  for (const [args, re] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 0, args.join(" "));
    assert.match(r.stdout, re, args.join(" "));
    assert.equal(r.stderr.includes("Warning"), false, r.stderr);
  }
  const bad = await runCli(["warm-start", "--spec", "x.json", "--frob"]);
  assert.equal(bad.code, 2);
  assert.equal(bad.stderr, 'warm-start: unknown option --frob (see "main.ts warm-start --help")\n');
});

Deno.test("inspect --tensor prints values exactly like TensorFlow's inspect_checkpoint", async () => {
  await withDir(async (dir) => {
    const tf = JSON.parse(await runPython("tests/oracle/tf_inspect.py", "", [dir]));
    const names = Object.keys(tf.tensors);
    assert.ok(names.length >= 15);
    // One run, every tensor (--tensor repeats): TF's blocks, in order, then the total.
    const r = await runCli(["inspect", tf.prefix, ...names.flatMap((n) => ["--tensor", n])]);
    assert.equal(r.code, 0, r.stderr);
    const blocks = r.stdout.split(/(?=^tensor: )/m);
    assert.equal(blocks.length, names.length);
    names.forEach((name, i) => {
      const tfBlock = tf.tensors[name].replace(/# Total number of params: \d+\n$/, "");
      const ours = i === names.length - 1 ? blocks[i].replace(/# Total.*\n$/, "") : blocks[i];
      assert.equal(ours, tfBlock, name);
    });
    assert.equal(r.stdout.trim().split("\n").at(-1), tf.total);
    const list = await runCli(["inspect", tf.prefix]);
    assert.equal(list.stdout.trim().split("\n").at(-1), tf.total);
    const missing = await runCli(["inspect", tf.prefix, "--tensor", "nope"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: inspect: no tensor nope in checkpoint/);
  });
});

Deno.test("inspect diff: added, removed, reshaped, retyped, equal and different, as TF sees them", async () => {
  await withDir(async (dir) => {
    const r0 = await runCli(["warm-start", "--spec", await sampleSpec(dir)]);
    assert.equal(r0.code, 0, r0.stderr);
    const pairs = [
      [`${SAMPLE}/new/model.ckpt-1`, `${dir}/merged/model.ckpt-1`],
      [`${SAMPLE}/old/model.ckpt-100`, `${SAMPLE}/new/model.ckpt-1`],
      [`${KERAS}/old/ckpt`, `${KERAS}/new/ckpt`],
    ];
    const tfDiffs = (await runPython("tests/oracle/tf_diff.py", "", pairs.flat())).trim().split(
      "\n",
    )
      .map((l) => JSON.parse(l));
    for (const [i, [a, b]] of pairs.entries()) {
      const tf = tfDiffs[i];
      const r = await runCli(["inspect", "diff", a, b, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const ours = JSON.parse(r.stdout);
      const names = (xs: (string | { name: string })[]) =>
        xs.map((x) => typeof x === "string" ? x : x.name).sort();
      for (const k of ["added", "removed", "reshaped", "retyped", "equal", "different"]) {
        assert.deepEqual(names(ours[k]), tf[k].sort(), `${k} of ${a} vs ${b}`);
      }
    }
    const text = await runCli(["inspect", "diff", pairs[2][0], pairs[2][1]]);
    assert.match(
      text.stdout,
      /~ model\/optimizer\/_trainable_variables\/0\/\.ATTRIBUTES\/VARIABLE_VALUE: shape \[6, 4\] -> \[9, 4\]/,
    );
  });
});

Deno.test("warm-start off a terminal: JSON report on stdout, JSON log lines, LOG_LEVEL", async () => {
  await withDir(async (dir) => {
    const spec = await sampleSpec(dir);
    const r = await runCli(["warm-start", "--spec", spec]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).totals.remapped, 1);
    const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l));
    assert.ok(lines.some((l) => l.phase === "write-data" && l.bytesTotal > 0));
    assert.ok(!lines.some((l) => /WARM_START_ALLOWED/.test(l.msg)), "no allow-list warning");
    assert.ok(lines.some((l) => l.msg === "job finished"));

    const quiet = await runCli([
      "warm-start",
      "--spec",
      await sampleSpec(dir, { output: `${dir}/q/m` }),
    ], {
      env: { LOG_LEVEL: "warn" },
    });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.stderr, "");
    const bad = await runCli(["warm-start", "--spec", spec], { env: { LOG_LEVEL: "loud" } });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /LOG_LEVEL: expected debug, info, warn or error/);
  });
});

Deno.test("warm-start: each error is printed once, with its field", async () => {
  await withDir(async (dir) => {
    const spec = await sampleSpec(dir, {
      var_name_to_prev_var_name: { nope: "emb" },
    });
    const json = await runCli(["warm-start", "--spec", spec]);
    assert.equal(json.code, 2);
    const errors = json.stderr.trim().split("\n").map((l) => JSON.parse(l)).filter((l) =>
      l.level === "error"
    );
    assert.equal(errors.length, 1, json.stderr);
    assert.match(errors[0].msg, /var_name_to_prev_var_name/);
    assert.ok(errors[0].job, "the job id is on the error line");
    const text = await runCli(["warm-start", "--spec", spec, "--log-format", "text"]);
    assert.equal(text.code, 2);
    assert.equal(text.stderr.match(/^error: /gm)?.length, 1, text.stderr);
    assert.match(text.stderr, /nope/);
  });
});

Deno.test("warm-start: a transient storage fault exits 75 (a retry may help)", async () => {
  await withDir(async (dir) => {
    const port = freePort(); // nothing listens: connection refused, retried, then given up
    const spec = await sampleSpec(dir, { ckpt_to_initialize_from: "s3://models/old/" });
    const r = await runCli(["warm-start", "--spec", spec, "--log-format", "text"], {
      env: {
        AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
        AWS_ACCESS_KEY_ID: "test-access-key",
        AWS_SECRET_ACCESS_KEY: "test-secret-key",
        AWS_REGION: "us-east-1",
        S3_FORCE_PATH_STYLE: "1",
      },
    });
    assert.equal(r.code, 75, r.stderr);
    assert.match(r.stderr, /a retry may help/);
  });
});

Deno.test("warm-start on a terminal (a pty): a progress bar per phase and a summary", async () => {
  await withDir(async (dir) => {
    const spec = await sampleSpec(dir);
    const cmd = [Deno.execPath(), "run", "-A", MAIN, "warm-start", "--spec", spec]
      .map((a) => `'${a}'`).join(" ");
    const out = await new Deno.Command("script", {
      args: ["-qec", cmd, "/dev/null"],
      env: { NO_COLOR: "1", TERM: "xterm", COLUMNS: "100" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const screen = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, screen);
    assert.ok(screen.includes("\r\x1b[2K"), "redrawn in place");
    for (const phase of ["resolve", "plan", "write data", "write index"]) {
      assert.match(screen, new RegExp(`✓ ${phase}`), phase);
    }
    assert.match(screen, /█+.* 100% .*B \/ .*B .*B\/s/);
    assert.match(screen, /Wrote .*merged\/model\.ckpt-1: \d+ variables, \d+ warm-started/);
    assert.match(screen, /remapped {2}emb: \d+ of 6 rows from OLD \(\d+\.\d% matched\)/);
    assert.doesNotMatch(screen, /"level"/, "no JSON lines on a terminal");
    assert.doesNotMatch(screen, /Warning|build script/i);
  });
});

Deno.test("deno install --global from the checkout: runs from any directory", async () => {
  await withDir(async (dir) => {
    const root = posix.join(dir, "root");
    const install = await new Deno.Command(Deno.execPath(), {
      args: [
        "install",
        "--global",
        "-A",
        "--config",
        `${REPO}deno.json`,
        "--root",
        root,
        "--name",
        "warm-start",
        "-f",
        MAIN,
      ],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(install.code, 0, new TextDecoder().decode(install.stderr));
    const elsewhere = posix.join(dir, "elsewhere");
    await Deno.mkdir(elsewhere);
    const bin = posix.join(root, "bin", "warm-start");
    const run = (args: string[]) =>
      new Deno.Command(bin, { args, cwd: elsewhere, stdout: "piped", stderr: "piped" }).output();
    const v = await run(["--version"]);
    assert.match(new TextDecoder().decode(v.stdout), /^warm-start \d+\.\d+\.\d+\n$/);
    await Deno.copyFile(await sampleSpec(dir), posix.join(elsewhere, "job.json"));
    const job = await run(["warm-start", "--spec", "job.json"]);
    assert.equal(job.code, 0, new TextDecoder().decode(job.stderr));
    assert.equal(JSON.parse(new TextDecoder().decode(job.stdout)).totals.remapped, 1);
  });
});
