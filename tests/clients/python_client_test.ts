/**
 * The Python client (clients/python) as a pipeline uses it: installed with pip, calling
 * `warm_start(...)` with TensorFlow's arguments against the real server (main.ts serve), on
 * TF-made scenarios; the outputs equal TF's own warm_start results, TF's ValueError cases raise
 * ValueError, a transient storage fault raises RetryableError.
 */
import assert from "node:assert/strict";
import { freePort, startServer } from "../function/_main_process.ts";
import { TOKEN } from "../function/_setup.ts";
import { PYTHON } from "../warmstart/_python.ts";
import { compareWithExpected } from "../warmstart/_scenarios.ts";

const REPO = new URL("../../", import.meta.url).pathname;
const SCENARIOS = `${REPO}tests/fixtures/data/warmstart`;

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: REPO,
    env: { TF_CPP_MIN_LOG_LEVEL: "3", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  if (out.code !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${text(out.stderr)}`);
  return text(out.stdout);
}

let installed: Promise<string> | undefined;

/** `pip install ./clients/python`, once, into a directory of its own (the shared venv stays as is). */
function installClient(): Promise<string> {
  installed ??= (async () => {
    const site = await Deno.makeTempDir({ prefix: "ws-pyclient-site-" });
    addEventListener("unload", () => Deno.removeSync(site, { recursive: true }));
    await run(PYTHON, [
      "-m",
      "pip",
      "install",
      "-q",
      "--disable-pip-version-check",
      "--no-build-isolation",
      "--no-deps",
      "--target",
      site,
      `${REPO}clients/python`,
    ]);
    return site;
  })();
  return installed;
}

Deno.test("Python client: pip-installed, against the server, equals TF's warm_start", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "ws-pyclient-" });
  try {
    const site = await installClient();
    const server = await startServer({ WARM_START_TOKEN: TOKEN });
    let result;
    try {
      const names = [
        "wsu_05_var_with_vocab",
        "wsu_06_var_with_column_vocab",
        "wsu_14_list_of_variables",
        "wsu_27_vars_to_warm_start_is_none",
        "cko_c6_embedding",
        "real_embedding_shuffled_grown_vocab",
        "err_shape_mismatch",
        "err_unused_prev_and_vocab_both",
      ];
      result = JSON.parse(
        await run(
          PYTHON,
          [
            `${REPO}tests/clients/check_python_client.py`,
            server.url,
            TOKEN,
            `${tmp}/out`,
            ...names.map((n) => `${SCENARIOS}/${n}`),
          ],
          { PYTHONPATH: site },
        ),
      );
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.ok(String(result.module).startsWith(site), "the pip-installed package was used");
    let checked = 0;
    for (const [name, r] of Object.entries(result) as [string, Record<string, unknown>][]) {
      if (!name.includes("_") || name === "version") continue;
      checked++;
      if (name.startsWith("err_")) {
        const tf = JSON.parse(await Deno.readTextFile(`${SCENARIOS}/${name}/expected_error.json`));
        assert.equal(tf.error, "ValueError");
        assert.equal(r.raised, "ValueError", `${name}: ${JSON.stringify(r)}`);
        assert.ok(
          String(r.message).startsWith(tf.message.replace(/\.$/, "").slice(0, 40)),
          String(r.message),
        );
        assert.equal(r.written, false);
      } else {
        assert.equal(r.ok, true, `${name}: ${JSON.stringify(r)}`);
        assert.equal(r.matches_tf, true, name);
        assert.ok((r.progress as number) > 0);
        assert.ok((r.phases as string[]).includes("write-data"), name);
      }
    }
    assert.equal(checked, 8);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("Python client: a transient storage fault (HTTP 503) raises RetryableError", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "ws-pyclient-" });
  try {
    const site = await installClient();
    const server = await startServer({
      WARM_START_TOKEN: TOKEN,
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${freePort()}`,
      AWS_ACCESS_KEY_ID: "test-access-key",
      AWS_SECRET_ACCESS_KEY: "test-secret-key",
      AWS_REGION: "us-east-1",
      S3_FORCE_PATH_STYLE: "1",
    });
    let out;
    try {
      out = await run(PYTHON, [
        "-c",
        `
import json, sys
from warm_start_client import warm_start, RetryableError, WarmStartError
try:
    warm_start("s3://models/prod/", new_checkpoint="s3://models/new/model.ckpt-1",
               output="s3://models/warm/model.ckpt-1", url=sys.argv[1], token=sys.argv[2])
    print(json.dumps({"raised": None}))
except RetryableError as e:
    print(json.dumps({"raised": "RetryableError", "status": e.status, "type": e.type,
                      "is_warm_start_error": isinstance(e, WarmStartError),
                      "is_value_error": isinstance(e, ValueError)}))
`,
        server.url,
        TOKEN,
      ], { PYTHONPATH: site });
    } finally {
      assert.equal(await server.stop(), 0);
    }
    assert.deepEqual(JSON.parse(out), {
      raised: "RetryableError",
      status: 503,
      type: "StorageError",
      is_warm_start_error: true,
      is_value_error: false,
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("Kubeflow component: its container command runs the client and writes the report", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "ws-kfp-" });
  try {
    const site = await installClient();
    const server = await startServer({ WARM_START_TOKEN: TOKEN });
    const d = `${SCENARIOS}/wsu_05_var_with_vocab`;
    const spec = JSON.parse(await Deno.readTextFile(`${d}/spec.json`));
    const vocab = spec.var_name_to_vocab_info;
    for (const vi of Object.values(vocab) as Record<string, string>[]) {
      vi.new_vocab = `${d}/${vi.new_vocab}`;
      vi.old_vocab = `${d}/${vi.old_vocab}`;
    }
    let out;
    try {
      out = JSON.parse(
        await run(PYTHON, [
          `${REPO}tests/clients/run_component.py`,
          `${REPO}deploy/kubeflow/warm_start_component.yaml`,
          tmp,
          `ckpt_to_initialize_from=${d}/${spec.ckpt_to_initialize_from}`,
          `new_checkpoint=${d}/${spec.new_checkpoint}`,
          `output=${tmp}/merged/model-0`,
          `var_name_to_vocab_info=${JSON.stringify(vocab)}`,
        ], { PYTHONPATH: site, WARM_START_URL: server.url, WARM_START_TOKEN: TOKEN }),
      );
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const report = JSON.parse(out.outputs.report);
    assert.equal(report.output, `${tmp}/merged/model-0`);
    assert.equal(report.totals.remapped, 1);
    assert.match(out.stdout, /^warm-started 1 of \d+ variables into /);
    // The merged checkpoint is TF's own warm_start result (the scenario's expected/).
    const diffs = await compareWithExpected(
      { name: "wsu_05_var_with_vocab", dir: d, spec },
      `${tmp}/merged/model-0`,
    );
    assert.deepEqual(diffs, []);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
