/** Runs a Python script of the repo with the project venv (TensorFlow), feeding stdin. */
const REPO = new URL("../../", import.meta.url).pathname;

/** The venv's python; tests fail (never skip) when it is missing. */
export const PYTHON = `${REPO}.venv/bin/python`;

/** Runs `script` (repo-relative) with `args`, returns stdout; throws with stderr on failure. */
export async function runPython(script: string, stdin = "", args: string[] = []): Promise<string> {
  try {
    Deno.statSync(PYTHON);
  } catch {
    throw new Error(
      `${PYTHON} is missing: run .ci/run (or create .venv from tests/requirements.txt)`,
    );
  }
  const child = new Deno.Command(PYTHON, {
    args: [`${REPO}${script}`, ...args],
    cwd: REPO,
    env: { TF_CPP_MIN_LOG_LEVEL: "3" },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(stdin));
  await writer.close();
  const out = await child.output();
  if (out.code !== 0) {
    throw new Error(`${script} failed (${out.code}):\n${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}
