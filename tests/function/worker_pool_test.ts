/**
 * The `--workers` pool against workers that misbehave (real processes: small shell programs in
 * place of `main.ts worker --stdio`): noise instead of an answer, a null answer, silence, an exit
 * — each ends in a typed error within bounds, never a hang; a worker that fails once is replaced
 * and its task rerun; a good worker's answers finish every task.
 */
import assert from "node:assert/strict";
import { workerPool, WorkerTaskError } from "../../lib/function/worker_pool.ts";

const ok = `while read -r line; do echo '{"ok":true,"result":{}}'; done`;
const JOB = "/tmp/x/.warm_start/m.0123456789abcdef/";

Deno.test("worker pool: every task answered by good workers; misbehaving workers end in a typed error, never a hang", async () => {
  const done: number[] = [];
  const good = workerPool({
    workers: 2,
    command: ["sh", "-c", ok],
    onTask: (task) => done.push(task),
  });
  assert.equal(await good(JOB, [0, 1, 2, 3, 4]), true);
  assert.deepEqual(done.sort(), [0, 1, 2, 3, 4]);
  // One task: in-process (false), no worker started.
  assert.equal(await good(JOB, [7]), false);

  for (
    const [name, script] of [
      ["noise instead of an answer", "echo noise; cat > /dev/null"],
      ["a null answer", "while read -r line; do echo null; done"],
      ["an exit", "exit 3"],
      ["silence", "sleep 30"],
    ]
  ) {
    const started = performance.now();
    const pool = workerPool({
      workers: 2,
      command: ["sh", "-c", script],
      retries: 1,
      taskTimeoutMs: 1500,
    });
    const e = await pool(JOB, [0, 1]).then(() => undefined, (e) => e);
    assert.ok(e instanceof WorkerTaskError, `${name}: ${e}`);
    assert.equal(e.error.retryable, false, `${name}: a worker failing every time fails for good`);
    assert.ok(performance.now() - started < 15_000, `${name}: took too long`);
  }
});

Deno.test("worker pool: a worker that dies once is replaced and its task rerun", async () => {
  const marker = await Deno.makeTempFile();
  await Deno.remove(marker);
  // The first worker started dies on its first task; the next ones answer.
  const script = `if mkdir ${marker} 2>/dev/null; then read -r line; exit 1; fi; ${ok}`;
  const pool = workerPool({ workers: 2, command: ["sh", "-c", script] });
  try {
    assert.equal(await pool(JOB, [0, 1, 2]), true);
  } finally {
    await Deno.remove(marker).catch(() => {});
  }
});
