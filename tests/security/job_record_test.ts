/**
 * A split job's files are input: a tampered `plan.json` (an upload id that walks out of the
 * directory, a spill area naming the inputs, a part copying what the plan does not, shards of
 * another output) sent through the real `main.ts worker --stdio` gets a typed error and never a
 * write or delete anywhere; a record whose uploads are gone (a bucket lifecycle rule, another run
 * of the output) is replaced by the next run, which publishes TF's bytes.
 */
import assert from "node:assert/strict";
import { MAIN, passThroughEnv, runCli } from "../function/_main_process.ts";
import { copySample, sampleSpec, snapshot } from "./_attack.ts";

// deno-lint-ignore no-explicit-any
type Json = Record<string, any>;

/** Runs `main.ts worker --stdio` on `lines`; its answers. */
async function worker(
  lines: unknown[],
  env: Record<string, string>,
): Promise<Array<{ ok: boolean; result?: Record<string, unknown>; error?: { name: string } }>> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, "worker", "--stdio"],
    env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "", ...passThroughEnv(), ...env },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(lines.map((l) => JSON.stringify(l) + "\n").join("")));
  await w.close();
  const out = await child.output();
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
}

Deno.test("security: a tampered plan.json gets typed errors from the worker; nothing outside is written or deleted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wsf-sec-record-" });
  try {
    const allowed = `${dir}/allowed`;
    await copySample(allowed);
    await Deno.mkdir(`${dir}/outside`);
    await Deno.writeTextFile(`${dir}/outside/victim.txt`, "precious");
    const env = { WARM_START_ALLOWED: `${allowed}/` };
    const [planned] = await worker([{ op: "plan", spec: sampleSpec(allowed), taskBytes: 64 }], env);
    assert.equal(planned.ok, true, JSON.stringify(planned));
    const job = String(planned.result!.job);
    const recordFile = `${job}plan.json`;
    const pristine = await Deno.readTextFile(recordFile);
    const inputs = snapshot(`${allowed}/old`);
    const tamper = async (edit: (r: Json) => void) => {
      const r = JSON.parse(pristine) as Json;
      edit(r);
      await Deno.writeTextFile(recordFile, JSON.stringify(r));
    };
    const cases: Array<[string, (r: Json) => void]> = [
      ["an upload id that walks out", (r) => {
        r.shards[0].upload.uploadId = "x/../../../outside/victim.txt";
      }],
      ["a spill area naming the inputs", (r) => {
        r.spill = `${allowed}/old/`;
      }],
      ["a part copying what the plan does not", (r) => {
        r.shards[0].parts[0].copy = {
          copyFrom: `${allowed}/old/old_vocab.txt`,
          offset: 0,
          length: 1,
        };
      }],
      ["shards of another output", (r) => {
        r.shards[0].location = r.shards[0].upload.location = `${allowed}/other.data-00000-of-00001`;
      }],
      ["a part table with a hole", (r) => {
        r.shards[0].parts[1].offset += 1;
      }],
      ["not a record at all", (r) => {
        delete r.plan;
      }],
    ];
    for (const [name, edit] of cases) {
      await tamper(edit);
      const answers = await worker([
        { op: "task", job, task: 0 },
        { op: "commit", job },
        { op: "abort", job },
      ], env);
      for (const [i, a] of answers.entries()) {
        // Abort deletes only by the record's locations: refused when they are not this job's;
        // otherwise it may go ahead (an upload id it cannot use is skipped, nothing else goes).
        const byLocations = ["a spill area naming the inputs", "shards of another output"];
        if (i === 2 && !byLocations.includes(name) && name !== "not a record at all") continue;
        assert.equal(a.ok, false, `${name}: op ${i} was accepted`);
        assert.match(
          a.error!.name,
          /CorruptCheckpointError|StorageError|JobIncompleteError/,
          `${name}: ${a.error!.name}`,
        );
      }
      assert.equal(await Deno.readTextFile(`${dir}/outside/victim.txt`), "precious", name);
      assert.deepEqual(snapshot(`${allowed}/old`), inputs, `${name}: an input changed`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a split job whose uploads were aborted under it (lifecycle rule, another run) is replaced: the rerun publishes, nothing left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wsf-stale-record-" });
  try {
    await copySample(dir);
    const spec = `${dir}/warm_start.json`;
    const ref = await runCli(["warm-start", "--spec", spec]);
    assert.equal(ref.code, 0, ref.stderr);
    const expected = await Deno.readFile(`${dir}/merged/model.ckpt-1.data-00000-of-00001`);
    await Deno.remove(`${dir}/merged`, { recursive: true });
    const [planned] = await worker([{
      op: "plan",
      spec: sampleSpec(dir),
      taskBytes: 32,
    }], {});
    assert.equal(planned.ok, true);
    // What a run killed while writing a task result leaves: the record's temp file.
    const job = String(planned.result!.job);
    await Deno.mkdir(`${job}tasks`, { recursive: true });
    await Deno.writeTextFile(`${job}tasks/.0.json.tmp-wsf-${crypto.randomUUID()}`, "{");
    // What AbortIncompleteMultipartUpload (or another run's cleanup) does: the uploads go.
    for (const e of Deno.readDirSync(`${dir}/merged`)) {
      if (e.name.includes(".tmp-wsf-")) await Deno.remove(`${dir}/merged/${e.name}`);
    }
    const rerun = await runCli(["warm-start", "--spec", spec, "--task-bytes", "32", "--json"]);
    assert.equal(rerun.code, 0, rerun.stderr);
    const report = JSON.parse(rerun.stdout);
    assert.equal(report.outcome, "written");
    assert.ok(
      report.totals.tasks > 2 && report.totals.tasksReused === 0,
      JSON.stringify(report.totals),
    );
    assert.deepEqual(
      await Deno.readFile(`${dir}/merged/model.ckpt-1.data-00000-of-00001`),
      expected,
    );
    const left = [...Deno.readDirSync(`${dir}/merged/.warm_start`)].filter((e) => e.isFile)
      .map((e) => e.name);
    assert.deepEqual(left, ["model.ckpt-1.done.json"]);
    const temps: string[] = [];
    const walk = (d: string) => {
      for (const e of Deno.readDirSync(d)) {
        if (e.isDirectory) walk(`${d}/${e.name}`);
        else if (e.name.includes(".tmp-wsf-")) temps.push(`${d}/${e.name}`);
      }
    };
    walk(`${dir}/merged`);
    assert.deepEqual(temps, [], "a killed run's temp files are gone with the job");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
