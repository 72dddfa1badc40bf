/**
 * How the function's processes exit.
 *
 * @module
 */

/**
 * Exits with `code`. With Deno's OpenTelemetry on (`OTEL_DENO=true`) it first lets the event
 * loop settle for `settleMs`: Deno 2.9 flushes its exporters inside `Deno.exit`, and an exit in
 * the same tick as a finished `Deno.serve` shutdown hung there for good in 5 of 20 runs here
 * (main thread parked on a futex, SIGTERM caught and ignored; the denoland/deno#33157 class),
 * in none of 40 with the settle.
 */
export async function exitProcess(code: number, settleMs = 100): Promise<never> {
  if (Deno.env.get("OTEL_DENO")?.toLowerCase() === "true") {
    await new Promise((r) => setTimeout(r, settleMs));
  }
  Deno.exit(code);
}
