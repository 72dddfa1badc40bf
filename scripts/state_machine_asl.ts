/**
 * Writes deploy/step_functions/warm_start.asl.json from lib/function/state_machine_asl.ts (the
 * one source of the shipped state machine): `deno run -A scripts/state_machine_asl.ts`, then
 * `deno fmt`. tests/function/state_machine_test.ts fails when the file and the source differ.
 *
 * @module
 */
import { WARM_START_ASL } from "../lib/function/state_machine_asl.ts";

const target = new URL("../deploy/step_functions/warm_start.asl.json", import.meta.url);
await Deno.writeTextFile(target, JSON.stringify(WARM_START_ASL, null, 2) + "\n");
console.error(`wrote ${target.pathname}`);
