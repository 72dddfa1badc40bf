/**
 * The CLI commands: `warm-start` runs one job (JSON report on stdout, JSON log lines on stderr)
 * and `inspect` lists a checkpoint. Each returns its exit code, taken from the outcome table.
 *
 * @module
 */
import {
  listVariables,
  readBundleIndex,
  resolveCheckpointPrefix,
  verifyTensors,
} from "../checkpoint/mod.ts";
import { jobStore, type Store } from "../storage/mod.ts";
import { checkSpecAllowed } from "./allow_list.ts";
import { loadConfig } from "./config.ts";
import { createJobRunner, type WarmStartRunner } from "./job_runner.ts";
import { createLogger } from "./log.ts";
import { errorBody, outcomeOf } from "./outcome.ts";
import { loadSpecFile } from "./spec_file.ts";

/** What the CLI commands need. */
export interface CliDeps {
  /** The base store. */
  store: Store;
  /** The engine. */
  run: WarmStartRunner;
  /** Reads one environment variable. */
  env: (name: string) => string | undefined;
}

/**
 * `warm-start --spec FILE [--dry-run]`: runs one job.
 *
 * @param args the spec file and flags
 * @param deps store, engine, environment
 * @returns the exit code
 */
export async function cliWarmStart(
  args: { spec: string; dryRun: boolean },
  deps: CliDeps,
): Promise<number> {
  const log = createLogger();
  try {
    const config = loadConfig({ env: deps.env, local: true, cwd: Deno.cwd() });
    for (const w of config.warnings.filter((w) => w.startsWith("WARM_START_ALLOWED"))) {
      log("warn", w);
    }
    const spec = await loadSpecFile(args.spec, jobStore(deps.store), Deno.cwd());
    checkSpecAllowed(spec, config.allowed);
    const runner = createJobRunner({
      run: deps.run,
      store: deps.store,
      log,
      engine: config.engine,
    });
    const outcome = await runner.runJob({ spec, dryRun: args.dryRun, trigger: { source: "cli" } });
    console.log(JSON.stringify(outcome.report, null, 2));
    return 0;
  } catch (e) {
    log("error", (e as Error)?.message ?? String(e), errorBody(e));
    return outcomeOf(e).exitCode;
  }
}

/**
 * `inspect LOCATION [--json] [--verify]`: lists a checkpoint's variables like
 * `tf.train.list_variables`; `--verify` reads every tensor and checks its CRC32C.
 *
 * @param args the location and flags
 * @param deps the base store
 * @returns the exit code
 */
export async function cliInspect(
  args: { location: string; json: boolean; verify: boolean },
  deps: Pick<CliDeps, "store">,
): Promise<number> {
  try {
    const store = jobStore(deps.store);
    const prefix = await resolveCheckpointPrefix(store, args.location);
    const index = await readBundleIndex(store, prefix);
    const variables = listVariables(index);
    if (args.verify) await verifyTensors(store, index);
    if (args.json) {
      console.log(JSON.stringify({ variables }));
    } else {
      for (const v of variables) console.log(`${v.name}\t${v.dtype}\t[${v.shape.join(", ")}]`);
      if (args.verify) console.error(`verified ${variables.length} tensors`);
    }
    return 0;
  } catch (e) {
    const err = e as Error;
    console.error(`inspect: ${err.name}: ${String(err.message).replace(/\s*\n\s*/g, " ")}`);
    return outcomeOf(e).exitCode;
  }
}
