/**
 * The runtime flags the function's processes run with: `deno run -A <RUNTIME_FLAGS> main.ts`
 * (deno.json's tasks, the pool workers main.ts spawns, the commands in README.md).
 *
 * `--max-semi-space-size=4` caps V8's young generation at 4 MiB per semi-space (default: it grows
 * to 32 MiB). A job's JavaScript garbage is short-lived request state (every S3 request builds
 * the SDK's middleware objects), and with the default the collector let the young generation grow
 * until it held ~35 MiB more than the job used (heap 92 MiB total, 26 MiB live, at the end of the
 * shuffled S3 benchmark job). Measured on the benchmark's jobs: peak RSS 279 -> 257-262 MiB
 * (shuffled, S3), 183 -> 176 MiB (shuffled, local), 101 -> 96 MiB (plain, local), times within
 * the runs' spread. Where flags cannot be passed, `DENO_V8_FLAGS=--max-semi-space-size=4` sets it.
 *
 * @module
 */

/** The V8 flags of a function process (see module docs). */
export const V8_FLAGS = "--max-semi-space-size=4";

/** {@link V8_FLAGS} as a `deno run` argument. */
export const RUNTIME_FLAGS: readonly string[] = [`--v8-flags=${V8_FLAGS}`];
