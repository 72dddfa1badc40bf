/**
 * Runs tests/oracle/tf_read.py with the project's venv (TensorFlow 2.21.0). Interop tests FAIL
 * (never skip) when the venv is missing.
 *
 * @module
 */
import { fromFileUrl } from "./_paths.ts";

/** The venv interpreter. */
export const PYTHON = fromFileUrl(new URL("../../.venv/bin/python", import.meta.url));
const SCRIPT = fromFileUrl(new URL("../oracle/tf_read.py", import.meta.url));

/** Runs tf_read.py with `args`; returns its JSON output. Throws with stderr on failure. */
export async function tfRead(...args: string[]): Promise<Record<string, unknown>> {
  try {
    Deno.statSync(PYTHON);
  } catch {
    throw new Error(
      `TensorFlow interop tests need the Python venv at ${PYTHON} (tensorflow-cpu==2.21.0, see ` +
        `tests/requirements.txt): python3 -m venv .venv && .venv/bin/pip install -r tests/requirements.txt`,
    );
  }
  const out = await new Deno.Command(PYTHON, {
    args: [SCRIPT, ...args],
    env: { TF_CPP_MIN_LOG_LEVEL: "3" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    throw new Error(
      `tf_read.py ${args.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}
