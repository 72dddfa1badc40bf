import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { copyDir, isEmptyTree, PORTED_ROOT } from "./_scenarios.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

// TF's error cases through the real CLI: exit 2, a one-line reason on stderr's last line, and
// nothing written. One scenario per kind of failure (call time, initializer run, vocab files,
// missing inputs, object-based checkpoints).
const CASES = [
  "wsu_30c_error_unused_prev_name",
  "err_shape_mismatch",
  "err_dtype_mismatch",
  "err_empty_line_in_old_vocab",
  "err_old_vocab_size_too_large",
  "err_missing_tensor",
  "err_object_based_missing_variables",
  "err_regex_list_overlap_duplicate",
];

for (const name of CASES) {
  Deno.test(`warm-start CLI on ${name}: exit 2, TF's reason, nothing written`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "ws-cli-" });
    await copyDir(posix.join(PORTED_ROOT, name), dir);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", "warm-start", "--spec", posix.join(dir, "spec.json")],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 2, stderr);
    assert.equal(new TextDecoder().decode(out.stdout), "", "no report on failure");
    const expected = JSON.parse(await Deno.readTextFile(posix.join(dir, "expected_error.json")));
    const firstWords = String(expected.message).split(" ").slice(0, 3).join(" ");
    assert.ok(stderr.includes(firstWords), `stderr lacks "${firstWords}":\n${stderr}`);
    assert.ok(!stderr.includes("    at "), "no stack trace");
    assert.ok(isEmptyTree(posix.join(dir, "out")), "nothing written");
    await Deno.remove(dir, { recursive: true });
  });
}
