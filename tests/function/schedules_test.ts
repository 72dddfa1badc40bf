import { deepEqual as assertEquals } from "node:assert/strict";
import { createJobRunner } from "../../lib/function/job_runner.ts";
import { silentLogger } from "../../lib/function/log.ts";
import { type CronFn, registerSchedules } from "../../lib/function/schedules.ts";
import type { ScheduleRule } from "../../lib/function/config.ts";
import { FileStore } from "../../lib/storage/file_store.ts";
import { fakeEngine } from "./_fake_engine.ts";

Deno.test("registerSchedules(): each run warm-starts the latest NEW checkpoint once", async () => {
  const dir = await Deno.makeTempDir({ prefix: "wsf-cron-" });
  try {
    const store = new FileStore();
    const engine = fakeEngine();
    const runner = createJobRunner({ run: engine.run, store, log: silentLogger });
    const registered: Array<
      { name: string; schedule: string; options: unknown; handler: () => Promise<void> }
    > = [];
    const cron: CronFn = (name, schedule, options, handler) => {
      registered.push({ name, schedule, options, handler });
      return new Promise(() => {});
    };
    const rule: ScheduleRule = {
      name: "nightly",
      schedule: "0 2 * * *",
      newCheckpointsUnder: `${dir}/candidates/`,
      job: { ckpt_to_initialize_from: `${dir}/prod`, output: "../warm/{new_name}" },
      backoffSchedule: [1000, 5000],
    };
    registerSchedules({ schedules: [rule], allowed: [`${dir}/`] }, {
      cron,
      store,
      runner,
      log: silentLogger,
    });
    assertEquals(registered.map((r) => [r.name, r.schedule, r.options]), [
      ["nightly", "0 2 * * *", { backoffSchedule: [1000, 5000] }],
    ]);
    const tick = registered[0].handler;

    await tick(); // no checkpoint yet: nothing to do
    assertEquals(engine.calls.length, 0);

    await Deno.mkdir(`${dir}/candidates`);
    await Deno.writeTextFile(`${dir}/candidates/model.ckpt-5.index`, "x");
    await Deno.writeTextFile(`${dir}/candidates/model.ckpt-12.index`, "x");
    await tick();
    assertEquals(engine.calls.length, 1);
    assertEquals(engine.calls[0].spec.newCheckpoint, `${dir}/candidates/model.ckpt-12`);
    assertEquals(engine.calls[0].spec.ckptToInitializeFrom, `${dir}/prod`);
    assertEquals(engine.calls[0].spec.output, `${dir}/warm/model.ckpt-12`);

    await tick(); // same latest checkpoint: a no-op
    assertEquals(engine.calls.length, 1);

    await Deno.writeTextFile(`${dir}/candidates/model.ckpt-20.index`, "x");
    await tick();
    assertEquals(engine.calls.length, 2);
    assertEquals(engine.calls[1].spec.output, `${dir}/warm/model.ckpt-20`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
