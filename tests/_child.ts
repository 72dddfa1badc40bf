/**
 * Bounded stops of the child processes tests start: a signal, then SIGKILL after a grace (a Deno
 * hung in its exit-time flush catches SIGTERM and never exits: lib/function/process_exit.ts).
 * Only the handle's own process is signalled.
 *
 * @module
 */

/** Sends `signal` to `child` (ignored when it is gone). */
function send(child: Deno.ChildProcess, signal: Deno.Signal): void {
  try {
    child.kill(signal);
  } catch { /* gone */ }
}

/**
 * SIGKILLs `child` after `ms` unless the returned function is called first.
 *
 * @param child the process
 * @param ms the deadline
 * @returns cancels the kill
 */
export function killAfter(child: Deno.ChildProcess, ms: number): () => void {
  const timer = setTimeout(() => send(child, "SIGKILL"), ms);
  return () => clearTimeout(timer);
}

/**
 * Stops `child`: `signal` (SIGTERM), SIGKILL when it is still there after `graceMs`.
 *
 * @param child the process
 * @param graceMs how long it may take to exit on its own
 * @param done what to wait for (default: its status; a caller's may include its output pumps)
 * @param signal the first signal
 * @returns what `done` resolves to
 */
export async function stopChild<T = Deno.CommandStatus>(
  child: Deno.ChildProcess,
  graceMs: number,
  done: Promise<T> = child.status as Promise<T>,
  signal: Deno.Signal = "SIGTERM",
): Promise<T> {
  send(child, signal);
  const cancel = killAfter(child, graceMs);
  try {
    return await done;
  } finally {
    cancel();
  }
}
