import { deepEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";
import { runCli, startServer } from "./_main_process.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "wsf-cli-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function lastLog(stderr: string): Record<string, unknown> {
  const lines = stderr.trim().split("\n").filter((l) => l.startsWith("{"));
  return JSON.parse(lines.at(-1)!);
}

Deno.test("warm-start CLI: an invalid spec exits 2, writes nothing, names the field", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/job.json`,
      JSON.stringify({ new_checkpoint: "n", output: "o" }),
    );
    const r = await runCli(["warm-start", "--spec", "job.json"], { cwd: dir });
    assertEquals(r.code, 2);
    assertEquals(r.stdout, "");
    const log = lastLog(r.stderr) as { error: { field: string; type: string } };
    assertEquals(log.error.type, "SettingsError");
    assertEquals(log.error.field, "ckpt_to_initialize_from");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["job.json"]);
  });
});

Deno.test("warm-start CLI: missing or non-JSON spec files and bad arguments exit 2", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/bad.json`, "{");
    for (const args of [["--spec", "nope.json"], ["--spec", "bad.json"], [], ["--frob"]]) {
      const r = await runCli(["warm-start", ...args], { cwd: dir });
      assertEquals(r.code, 2, args.join(" "));
      assertEquals(r.stdout, "");
    }
  });
});

Deno.test("warm-start CLI: a location outside WARM_START_ALLOWED exits 2", async () => {
  await withDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/job.json`,
      JSON.stringify({
        ckpt_to_initialize_from: "old",
        new_checkpoint: "new/m",
        output: "s3://elsewhere/o",
      }),
    );
    const r = await runCli(["warm-start", "--spec", `${dir}/job.json`], {
      env: { WARM_START_ALLOWED: `${dir}/` },
    });
    assertEquals(r.code, 2);
    const log = lastLog(r.stderr) as { error: { type: string; field: string } };
    assertEquals(log.error.type, "ForbiddenLocationError");
    assertEquals(log.error.field, "output");
  });
});

/** A copy of the sample job that ships with the repo (docs/sample). */
async function copySample(dir: string): Promise<void> {
  const sample = new URL("../../docs/sample/", import.meta.url).pathname;
  for (const sub of ["old", "new"]) {
    await Deno.mkdir(`${dir}/${sub}`);
    for (const e of Deno.readDirSync(`${sample}${sub}`)) {
      await Deno.copyFile(`${sample}${sub}/${e.name}`, `${dir}/${sub}/${e.name}`);
    }
  }
  await Deno.copyFile(`${sample}warm_start.json`, `${dir}/warm_start.json`);
  await Deno.copyFile(`${sample}expected.json`, `${dir}/expected.json`);
}

Deno.test("warm-start CLI: the sample job prints its report and TensorFlow restores the output", async () => {
  await withDir(async (dir) => {
    await copySample(dir);
    const plan = await runCli(["warm-start", "--spec", `${dir}/warm_start.json`, "--dry-run"]);
    assertEquals(plan.code, 0, plan.stderr);
    assertEquals(JSON.parse(plan.stdout).dryRun, true);
    assertEquals([...Deno.readDirSync(dir)].some((e) => e.name === "merged"), false);

    const r = await runCli(["warm-start", "--spec", "warm_start.json"], { cwd: dir });
    assertEquals(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assertEquals(report.output, `${dir}/merged/model.ckpt-1`);
    assertEquals(report.totals.warmStarted, 3);
    const actions = Object.fromEntries(
      report.variables.map((v: { name: string; action: string }) => [v.name, v.action]),
    );
    assertEquals(actions, {
      "dense/bias": "copy",
      "dense/kernel": "copy",
      emb: "remap",
      global_step: "keep",
    });
    assert(lastLog(r.stderr).msg === "job finished", "progress and logs go to stderr");
    const py = await new Deno.Command(new URL("../../.venv/bin/python", import.meta.url).pathname, {
      args: [
        new URL("../oracle/tf_checkpoints.py", import.meta.url).pathname,
        "read",
        `${dir}/merged/model.ckpt-1`,
      ],
      stdout: "piped",
      stderr: "null",
    }).output();
    assertEquals(py.success, true);
    const restored = JSON.parse(new TextDecoder().decode(py.stdout));
    assertEquals(restored, JSON.parse(await Deno.readTextFile(`${dir}/expected.json`)));
  });
});

Deno.test("warm-start CLI: a corrupt input found past validation exits 2 and publishes nothing", async () => {
  await withDir(async (dir) => {
    await copySample(dir);
    // A corrupt OLD index: the spec is valid, the job fails while reading.
    const index = `${dir}/old/model.ckpt-100.index`;
    const bytes = await Deno.readFile(index);
    bytes.fill(0xff, bytes.length - 48);
    await Deno.writeFile(index, bytes);
    const r = await runCli(["warm-start", "--spec", "warm_start.json"], { cwd: dir });
    assertEquals(r.code, 2, r.stderr);
    assertEquals(r.stdout, "");
    assertEquals(
      (lastLog(r.stderr) as { error: { type: string } }).error.type,
      "CorruptCheckpointError",
    );
    assertEquals([...Deno.readDirSync(dir)].some((e) => e.name === "merged"), false);
  });
});

Deno.test("serve: refuses to start without WARM_START_TOKEN unless local", async () => {
  const r = await runCli(["serve"], { env: {} });
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /WARM_START_TOKEN: required/);
});

Deno.test("serve --local: answers /healthz, logs JSON, stops cleanly on SIGTERM", async () => {
  const config = {
    schedules: [{
      name: "nightly",
      schedule: "0 2 * * *",
      new_checkpoints_under: "/nonexistent/candidates/",
      job: {
        ckpt_to_initialize_from: "/nonexistent/prod/",
        output: "/nonexistent/warm/{new_name}",
      },
    }],
  };
  const server = await startServer({ WARM_START_CONFIG: JSON.stringify(config) }, {
    args: ["--local"],
  });
  try {
    const health = await fetch(`${server.url}/healthz`);
    assertEquals(health.status, 200);
    assertEquals((await health.json()).status, "ok");
    const res = await fetch(`${server.url}/v1/warm-start?dry_run=true`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    assertEquals(res.status, 400); // local mode: no token needed
    await res.body?.cancel();
  } finally {
    assertEquals(await server.stop(), 0);
  }
  const lines = server.logs().trim().split("\n").map((l) => JSON.parse(l));
  assert(lines.some((l) => l.msg === "listening" && l.hostname === "127.0.0.1"));
  assert(lines.some((l) => l.level === "warn" && /WARM_START_ALLOWED/.test(l.msg)));
  assert(lines.some((l) => l.msg === "schedule registered" && l.schedule === "nightly"));
});

Deno.test("serve: with a token, requests without it are 401 and the token never appears in logs", async () => {
  const token = "tok-" + crypto.randomUUID();
  const server = await startServer({ WARM_START_TOKEN: token });
  try {
    const bad = await fetch(`${server.url}/v1/warm-start`, { method: "POST", body: "{}" });
    assertEquals(bad.status, 401);
    await bad.body?.cancel();
    const good = await fetch(`${server.url}/v1/warm-start`, {
      method: "POST",
      body: "{}",
      headers: { authorization: `Bearer ${token}` },
    });
    assertEquals(good.status, 400);
    await good.body?.cancel();
  } finally {
    await server.stop();
  }
  assert(!server.logs().includes(token));
});
