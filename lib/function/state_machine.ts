/**
 * The shipped Step Functions state machine (deploy/step_functions/warm_start.asl.json, written
 * from state_machine_asl.ts) with its timing knobs and the one switch for moto: `forMoto: true`
 * derives the variant moto's interpreter (moto server 5.2.5 in execute mode, the tests' AWS)
 * runs. The differences are listed in {@link MOTO_DEVIATIONS}; the production definition is
 * never edited for tests.
 *
 * @module
 */
import { WARM_START_ASL as shipped } from "./state_machine_asl.ts";

/** Options of {@link stateMachineDefinition}. */
export interface StateMachineOptions {
  /** The variant moto's interpreter runs (see {@link MOTO_DEVIATIONS}). */
  forMoto?: boolean;
  /** HeartbeatSeconds of every callback task (shipped: 120; the worker beats every 30 s). */
  heartbeatSeconds?: number;
  /** TimeoutSeconds of every callback task (shipped: 3600). */
  timeoutSeconds?: number;
  /** IntervalSeconds of every Retry (shipped: 5, doubling). */
  retryIntervalSeconds?: number;
  /** MaxAttempts of every Retry (shipped: 5). */
  maxAttempts?: number;
}

/** A state of the definition (only the fields this module touches are typed). */
type State = Record<string, unknown> & {
  Type: string;
  Resource?: string;
  States?: Record<string, State>;
  ItemProcessor?: { States: Record<string, State> };
};

/** What `forMoto` changes, and why (each checked by tests/function/step_functions_test.ts). */
export const MOTO_DEVIATIONS: readonly string[] = [
  "moto's Distributed Map swallows a failed child execution (its item's result is null and the " +
  "Map succeeds, as if ToleratedFailurePercentage were 100): the variant keeps the Map's results " +
  '(each child answers {"ok": true}), and a Choice after it sends a result that is not ok to ' +
  "Abort with the error WarmStart.TaskFailed, where AWS fails the Map state itself.",
];

/** The error the moto variant's check raises for a failed task (AWS: the Map's own error). */
export const MOTO_TASK_FAILED = "WarmStart.TaskFailed";

function callbackTasks(states: Record<string, State>): State[] {
  const out: State[] = [];
  for (const s of Object.values(states)) {
    if (s.Type === "Task" && s.Resource?.includes(".waitForTaskToken")) out.push(s);
    if (s.ItemProcessor) out.push(...callbackTasks(s.ItemProcessor.States));
  }
  return out;
}

/** The edits of {@link MOTO_DEVIATIONS}, in place, for each phase's Map. */
function motoVariant(states: Record<string, State>): void {
  for (const [name, next] of [["Maps", "Tasks"], ["Tasks", "Commit"]]) {
    const map = states[name];
    const [child] = Object.values(map.ItemProcessor!.States);
    delete child.OutputPath;
    child.ResultSelector = { ok: true };
    // A null to compare with (ASL's intrinsics take no null literal).
    map.ResultSelector = { "results.$": "$", nothing: null };
    map.ResultPath = `$.${name.toLowerCase()}Results`;
    map.Next = `${name}Checked`;
    states[`${name}Checked`] = {
      Type: "Pass",
      Comment: "moto only: a failed child leaves null among the Map's results.",
      Parameters: {
        "failed.$": `States.ArrayContains($.${name.toLowerCase()}Results.results, ` +
          `$.${name.toLowerCase()}Results.nothing)`,
      },
      ResultPath: `$.${name.toLowerCase()}Check`,
      Next: `${name}Ok?`,
    };
    states[`${name}Ok?`] = {
      Type: "Choice",
      Choices: [{
        Variable: `$.${name.toLowerCase()}Check.failed`,
        BooleanEquals: false,
        Next: next,
      }],
      Default: `${name}Failed`,
    };
    states[`${name}Failed`] = {
      Type: "Pass",
      Parameters: { Error: MOTO_TASK_FAILED, Cause: "a task failed for good" },
      ResultPath: "$.error",
      Next: "Abort",
    };
  }
}

/**
 * The state machine definition (ASL as a JSON object, a fresh copy).
 *
 * @param options the moto switch and timing knobs
 * @returns the definition, for `CreateStateMachine`'s `definition` (JSON.stringify it)
 */
export function stateMachineDefinition(
  options: StateMachineOptions = {},
): Record<string, unknown> {
  const def = structuredClone(shipped) as unknown as { States: Record<string, State> };
  for (const task of callbackTasks(def.States)) {
    if (options.heartbeatSeconds !== undefined) task.HeartbeatSeconds = options.heartbeatSeconds;
    if (options.timeoutSeconds !== undefined) task.TimeoutSeconds = options.timeoutSeconds;
    for (const retrier of (task.Retry ?? []) as Record<string, unknown>[]) {
      if (options.retryIntervalSeconds !== undefined) {
        retrier.IntervalSeconds = options.retryIntervalSeconds;
      }
      if (options.maxAttempts !== undefined) retrier.MaxAttempts = options.maxAttempts;
    }
  }
  if (options.forMoto) motoVariant(def.States);
  return def as unknown as Record<string, unknown>;
}
