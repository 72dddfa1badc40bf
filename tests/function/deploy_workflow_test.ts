import { deepEqual as assertEquals, match as assertMatch, ok as assert } from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;
const WORKFLOW = `${ROOT}deploy.yml`;

/** Runs scripts/actionlint.sh (builds the pinned actionlint into .cache/bin once). */
async function actionlint(file: string): Promise<{ code: number; output: string }> {
  const out = await new Deno.Command("bash", {
    args: [`${ROOT}scripts/actionlint.sh`, "-no-color", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, output: text.decode(out.stdout) + text.decode(out.stderr) };
}

async function lintBroken(
  edit: (yaml: string) => string,
): Promise<{ code: number; output: string }> {
  const dir = await Deno.makeTempDir({ prefix: "wsf-actionlint-" });
  try {
    const original = await Deno.readTextFile(WORKFLOW);
    const broken = edit(original);
    assert(broken !== original, "the edit must change the workflow");
    await Deno.writeTextFile(`${dir}/deploy.yml`, broken);
    return await actionlint(`${dir}/deploy.yml`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("deploy.yml passes actionlint", async () => {
  const { code, output } = await actionlint(WORKFLOW);
  assertEquals(output.replace(/^actionlint: building.*\n/m, ""), "");
  assertEquals(code, 0);
});

Deno.test("actionlint fails a broken copy of deploy.yml (negative controls)", async () => {
  const unknownJob = await lintBroken((y) => y.replace("needs: test", "needs: tests"));
  assertEquals(unknownJob.code, 1);
  assertMatch(unknownJob.output, /job "deploy" needs job "tests" which does not exist/);

  const badExpression = await lintBroken((y) =>
    y.replace("${{ secrets.DENO_DEPLOY_TOKEN }}", "${{ secrets.DENO_DEPLOY_TOKEN")
  );
  assertEquals(badExpression.code, 1);

  const badKey = await lintBroken((y) =>
    y.replace(
      "runs-on: ubuntu-24.04\n    timeout-minutes: 60",
      "runs_on: ubuntu-24.04\n    timeout-minutes: 60",
    )
  );
  assertEquals(badKey.code, 1);
  assertMatch(badKey.output, /runs_on/);
});

Deno.test("deploy.yml tests with `deno task test` and deploys with `deno deploy` after the tests", async () => {
  const yaml = await Deno.readTextFile(WORKFLOW);
  const steps = yaml.split("\n").filter((l) => !l.trimStart().startsWith("#")).join("\n");
  assertMatch(steps, /run: deno task test/);
  assertMatch(steps, /pip install .*-r tests\/requirements\.txt/);
  assertMatch(steps, /bash scripts\/s3_server\.sh build/);
  assertMatch(steps, /deno deploy --json --non-interactive/);
  assertMatch(steps, /--prod/);
  assertMatch(steps, /needs: test/);
  assertMatch(steps, /DENO_DEPLOY_TOKEN: \$\{\{ secrets\.DENO_DEPLOY_TOKEN \}\}/);
  assert(!/deployctl/.test(steps), "deployctl is retired");
});
