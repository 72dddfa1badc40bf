import { deepEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { UsageError } from "../../lib/function/errors.ts";
import { parseCommand } from "../../lib/function/cli_args.ts";

Deno.test("parseCommand() reads serve and warm-start", () => {
  assertEquals(parseCommand([]), { command: "serve", local: false });
  assertEquals(parseCommand(["serve", "--local"]), { command: "serve", local: true });
  assertEquals(parseCommand(["warm-start", "--spec", "job.json", "--dry-run"]), {
    command: "warm-start",
    spec: "job.json",
    dryRun: true,
    local: false,
  });
  assertEquals(parseCommand(["--help"]), { command: "help" });
});

Deno.test("parseCommand() rejects unknown input with a UsageError", () => {
  for (const args of [["warm-start"], ["frobnicate"], ["serve", "--bogus"], ["serve", "extra"]]) {
    assertThrows(() => parseCommand(args), UsageError, args.join(" "));
  }
});
