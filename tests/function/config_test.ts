import { deepEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { loadConfig } from "../../lib/function/config.ts";
import { ConfigError } from "../../lib/function/errors.ts";

const TOKEN = "0123456789abcdef0123";
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("loadConfig() refuses to start without a token unless local", () => {
  assertThrows(
    () => loadConfig({ env: envOf({}) }),
    (e: unknown) => e instanceof ConfigError && e.field === "WARM_START_TOKEN",
  );
  assertThrows(() => loadConfig({ env: envOf({ WARM_START_TOKEN: "short" }) }), ConfigError);
  const local = loadConfig({ env: envOf({ WARM_START_LOCAL: "1" }) });
  assertEquals(local.local, true);
  assertEquals(local.token, undefined);
  assertEquals(loadConfig({ env: envOf({}), local: true }).local, true);
});

Deno.test("loadConfig() reads defaults and warns when no allow-list is set", () => {
  const c = loadConfig({ env: envOf({ WARM_START_TOKEN: TOKEN }), cwd: "/srv" });
  assertEquals(c.token, TOKEN);
  assertEquals(c.port, 8000);
  assertEquals(c.maxBodyBytes, 1024 * 1024);
  assertEquals(c.baseDir, "/srv");
  assertEquals(c.jobFileName, "warm_start.json");
  assertEquals(c.allowed, undefined);
  assertEquals(c.eventsWait, false);
  assertEquals(c.warnings.length, 1);
});

Deno.test("loadConfig() parses the allow-list, limits, watches and schedules", () => {
  const c = loadConfig({
    env: envOf({
      WARM_START_TOKEN: TOKEN,
      WARM_START_ALLOWED: "s3://models/prod/,/data/",
      WARM_START_MAX_BODY_BYTES: "2048",
      PORT: "9000",
      WARM_START_EVENTS_WAIT: "true",
      WARM_START_CONFIG: "/etc/warm_start.json",
    }),
    readTextFile: (path) => {
      assertEquals(path, "/etc/warm_start.json");
      return JSON.stringify({
        watch: [{
          prefix: "s3://models/cand/",
          job: { ckpt_to_initialize_from: "s3://models/prod/" },
        }],
        schedules: [{
          name: "nightly",
          schedule: "0 2 * * *",
          new_checkpoints_under: "s3://models/cand/",
          job: {
            ckpt_to_initialize_from: "s3://models/prod/",
            output: "s3://models/warm/{new_name}",
          },
          backoff_schedule: [60000],
        }],
      });
    },
  });
  assertEquals(c.allowed, ["s3://models/prod/", "/data/"]);
  assertEquals([c.maxBodyBytes, c.port, c.eventsWait], [2048, 9000, true]);
  assertEquals(c.watches[0].prefix, "s3://models/cand/");
  assertEquals(c.schedules[0].name, "nightly");
  assertEquals(c.schedules[0].newCheckpointsUnder, "s3://models/cand/");
  assertEquals(c.schedules[0].backoffSchedule, [60000]);
  assertEquals(c.warnings, []);
});

Deno.test("loadConfig() names the bad variable", () => {
  const bad = (vars: Record<string, string>, field: string) =>
    assertThrows(
      () => loadConfig({ env: envOf({ WARM_START_TOKEN: TOKEN, ...vars }) }),
      (e: unknown) => e instanceof ConfigError && e.field === field,
    );
  bad({ PORT: "eighty" }, "PORT");
  bad({ WARM_START_MAX_BODY_BYTES: "-1" }, "WARM_START_MAX_BODY_BYTES");
  bad({ WARM_START_ALLOWED: "s3://b/../x/" }, "WARM_START_ALLOWED");
  bad({ WARM_START_CONFIG: "{oops" }, "WARM_START_CONFIG");
  bad({ WARM_START_CONFIG: '{"watch": [{"prefix": ""}]}' }, "WARM_START_CONFIG.watch[0]");
  bad({ WARM_START_CONFIG: '{"schedules": [{"name": "x"}]}' }, "WARM_START_CONFIG.schedules[0]");
  const twice = { name: "n", schedule: "* * * * *", new_checkpoints_under: "/d", job: {} };
  bad(
    { WARM_START_CONFIG: JSON.stringify({ schedules: [twice, twice] }) },
    "WARM_START_CONFIG.schedules",
  );
});
