/**
 * Scheduled jobs (Deno.cron): each schedule warm-starts the latest checkpoint under its
 * `new_checkpoints_under` directory with its job template, e.g. "every day at 02:00 UTC,
 * warm-start the latest checkpoint under X into the latest under Y" is
 * `{"schedule": "0 2 * * *", "new_checkpoints_under": "Y", "job": {"ckpt_to_initialize_from":
 * "X", "output": ".../warm/{new_name}"}}` (`ckpt_to_initialize_from` as a directory means its
 * latest checkpoint, as in TF). A run whose latest checkpoint was already warm-started is a
 * no-op (completion marker).
 *
 * @module
 */
import { jobStore, type Store } from "../storage/mod.ts";
import { type JobSpec, parseJobSpec } from "../warmstart/mod.ts";
import { checkSpecAllowed } from "./allow_list.ts";
import type { FunctionConfig, ScheduleRule } from "./config.ts";
import type { JobOutcome, JobRunner } from "./job_runner.ts";
import { latestCheckpoint } from "./latest_checkpoint.ts";
import type { Logger } from "./log.ts";
import { renderJobTemplate } from "./template.ts";

/** The spec a schedule would run now, or undefined when its directory has no checkpoint. */
export async function scheduledSpec(
  rule: ScheduleRule,
  store: Store,
  allowed: readonly string[] | undefined,
): Promise<JobSpec | undefined> {
  // Finding the latest checkpoint reads a state file: through the allow-list like any job.
  const checked = jobStore(store, allowed ? { allowed } : {});
  const newCheckpoint = await latestCheckpoint(checked, rule.newCheckpointsUnder);
  if (newCheckpoint === undefined) return undefined;
  const spec = parseJobSpec(renderJobTemplate(rule.job, newCheckpoint), {
    baseDir: rule.newCheckpointsUnder.replace(/\/+$/, ""),
  });
  checkSpecAllowed(spec, allowed);
  return spec;
}

/** Runs one schedule once (what its cron handler does). Throws so Deno.cron can retry. */
export async function runSchedule(
  rule: ScheduleRule,
  deps: { store: Store; runner: JobRunner; log: Logger; allowed: readonly string[] | undefined },
): Promise<JobOutcome | undefined> {
  const spec = await scheduledSpec(rule, deps.store, deps.allowed);
  if (spec === undefined) {
    deps.log("info", "schedule found no checkpoint", {
      schedule: rule.name,
      dir: rule.newCheckpointsUnder,
    });
    return undefined;
  }
  return await deps.runner.runJob({
    spec,
    trigger: { source: "schedule", schedule: rule.name },
    queue: true,
  });
}

/** The shape of Deno.cron used here (injectable for tests). */
export type CronFn = (
  name: string,
  schedule: string,
  options: { backoffSchedule?: number[] },
  handler: () => Promise<void>,
) => Promise<void>;

/**
 * Registers every configured schedule with `cron` (Deno.cron). Call at module top level, before
 * Deno.serve, as Deno Deploy requires.
 */
export function registerSchedules(
  config: Pick<FunctionConfig, "schedules" | "allowed">,
  deps: { cron: CronFn; store: Store; runner: JobRunner; log: Logger },
): void {
  for (const rule of config.schedules) {
    const options = rule.backoffSchedule ? { backoffSchedule: rule.backoffSchedule } : {};
    deps.cron(rule.name, rule.schedule, options, async () => {
      await runSchedule(rule, { ...deps, allowed: config.allowed });
    }).catch((e) => deps.log("error", "cron stopped", { schedule: rule.name, error: e }));
    deps.log("info", "schedule registered", { schedule: rule.name, cron: rule.schedule });
  }
}
