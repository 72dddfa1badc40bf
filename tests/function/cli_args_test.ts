import { deepEqual as assertEquals, match, ok, throws as assertThrows } from "node:assert/strict";
import { UsageError } from "../../lib/function/errors.ts";
import { parseCommand } from "../../lib/function/cli_args.ts";

Deno.test("parseCommand() reads serve, warm-start, inspect and inspect diff", () => {
  assertEquals(parseCommand([]), { command: "serve", local: false });
  assertEquals(parseCommand(["--local"]), { command: "serve", local: true });
  assertEquals(parseCommand(["serve", "--local"]), { command: "serve", local: true });
  assertEquals(parseCommand(["warm-start", "--spec", "job.json", "--dry-run"]), {
    command: "warm-start",
    spec: "job.json",
    dryRun: true,
    local: false,
    json: false,
    logFormat: "auto",
  });
  assertEquals(parseCommand(["inspect", "ck", "--tensor", "a", "--tensor", "b"]), {
    command: "inspect",
    location: "ck",
    json: false,
    verify: false,
    tensors: ["a", "b"],
  });
  assertEquals(parseCommand(["inspect", "diff", "a", "b", "--json"]), {
    command: "inspect-diff",
    a: "a",
    b: "b",
    json: true,
  });
  assertEquals(parseCommand(["--version"]), { command: "version" });
});

Deno.test("parseCommand(): --help and -h give each command's own help", () => {
  const help = (args: string[]) => {
    const c = parseCommand(args);
    ok(c.command === "help", args.join(" "));
    return c.text;
  };
  match(help(["--help"]), /Usage:\n {2}main\.ts \[serve\]/);
  match(help(["inspect", "-h"]), /^Usage: main\.ts inspect LOCATION/);
  match(help(["inspect", "diff", "--help"]), /^Usage: main\.ts inspect diff A B/);
  match(help(["warm-start", "--help"]), /var_name_to_vocab_info/);
  match(help(["warm-start", "--help"]), /new_vocab_size/);
  match(help(["serve", "-h"]), /^Usage: main\.ts serve/);
  match(help(["help", "warm-start"]), /^Usage: main\.ts warm-start/);
});

Deno.test("parseCommand() rejects unknown input in the command's own words", () => {
  const cases: [string[], RegExp][] = [
    [["warm-start"], /^warm-start needs --spec FILE/],
    [["frobnicate"], /^Unknown command "frobnicate"/],
    [["serve", "--bogus"], /^serve: unknown option --bogus \(see "main\.ts serve --help"\)$/],
    [["warm-start", "--spec", "j", "--frob"], /^warm-start: unknown option --frob/],
    [["warm-start", "--spec"], /^warm-start: option --spec needs a value/],
    [["inspect", "x", "--tensors", "a"], /^inspect: unknown option --tensors/],
    [["inspect", "diff", "a"], /^inspect diff needs two checkpoints/],
    [["inspect", "diff", "a", "b", "c"], /^inspect diff: unexpected argument "c"/],
    [["serve", "extra"], /^serve: unexpected argument "extra"/],
    [
      ["warm-start", "--spec", "j", "--log-format", "xml"],
      /--log-format must be auto, json or text/,
    ],
  ];
  for (const [args, message] of cases) {
    assertThrows(
      () => parseCommand(args),
      (e) => e instanceof UsageError && message.test(e.message),
      args.join(" "),
    );
  }
});
