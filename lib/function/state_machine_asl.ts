/**
 * The shipped Step Functions state machine, as data: the one source of
 * deploy/step_functions/warm_start.asl.json (written by `deno run -A scripts/state_machine_asl.ts`;
 * tests/function/state_machine_test.ts checks that the file equals this). See state_machine.ts
 * for the timing knobs and the moto switch, README.md "Step Functions" for what each state does.
 *
 * @module
 */

/**
 * The timeouts and retries of every callback task: a task answers within an hour, a worker beats
 * every 30 s (120 s without one: it died), and transient failures are retried 5 times, 5 s apart
 * and doubling. A fresh object each time (state_machine.ts edits copies of the definition).
 */
function callbackTiming(): Record<string, unknown> {
  return {
    "TimeoutSeconds": 3600,
    "HeartbeatSeconds": 120,
    "Retry": [
      {
        "ErrorEquals": [
          "WarmStart.Retryable",
          "States.HeartbeatTimeout",
          "States.Timeout",
          "SQS.AmazonSQSException",
          "SQS.SdkClientException",
        ],
        "IntervalSeconds": 5,
        "MaxAttempts": 5,
        "BackoffRate": 2,
      },
    ],
  };
}

/**
 * A phase: a Distributed Map over one task list of the plan (`maps` or `tasks`), one SQS callback
 * task per item, then `next`; any failure goes to Abort.
 */
function taskMap(list: "maps" | "tasks", next: string): Record<string, unknown> {
  return {
    "Type": "Map",
    "Comment":
      `One child execution per task of ${list}.json ({job, task} items); each sends one SQS message and waits for the worker's answer.`,
    "ItemReader": {
      "Resource": "arn:aws:states:::s3:getObject",
      "ReaderConfig": {
        "InputType": "JSON",
      },
      "Parameters": {
        "Bucket.$": `$.plan.${list}Bucket`,
        "Key.$": `$.plan.${list}Key`,
      },
    },
    "ItemSelector": {
      "queueUrl.$": "$.queueUrl",
      "job.$": "$$.Map.Item.Value.job",
      "task.$": "$$.Map.Item.Value.task",
    },
    "MaxConcurrency": 1000,
    "ItemProcessor": {
      "ProcessorConfig": {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "STANDARD",
      },
      "StartAt": "Task",
      "States": {
        "Task": {
          "Type": "Task",
          "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
          "Parameters": {
            "QueueUrl.$": "$.queueUrl",
            "MessageBody": {
              "op": "task",
              "job.$": "$.job",
              "task.$": "$.task",
              "taskToken.$": "$$.Task.Token",
            },
          },
          ...callbackTiming(),
          "OutputPath": null,
          "End": true,
        },
      },
    },
    "ResultPath": null,
    "Catch": [
      {
        "ErrorEquals": [
          "States.ALL",
        ],
        "ResultPath": "$.error",
        "Next": "Abort",
      },
    ],
    "Next": next,
  };
}

/** The Amazon States Language definition (STANDARD). */
export const WARM_START_ASL: Readonly<Record<string, unknown>> = {
  "Comment":
    'warm-start: Plan -> Maps (Distributed Map over maps.json, the remap window passes, when there are any) -> Tasks (Distributed Map over tasks.json, one SQS callback task per item) -> Commit; any failure after the plan -> Abort. Execution input: {"queueUrl": "<SQS queue URL the workers poll>", "spec": {<job spec, absolute locations>}, "taskBytes": <optional positive integer>, "trigger": <optional, recorded in the marker>}. See README.md, Step Functions.',
  "StartAt": "Defaults",
  "States": {
    "Defaults": {
      "Type": "Pass",
      "Comment":
        "An absent taskBytes or trigger becomes null: the worker then uses its default task bounds (trigger: recorded in the completion marker).",
      "Parameters": {
        "input.$":
          'States.JsonMerge(States.StringToJson(\'{"taskBytes":null,"trigger":null}\'), $, false)',
      },
      "OutputPath": "$.input",
      "Next": "Plan",
    },
    "Plan": {
      "Type": "Task",
      "Comment":
        "Plans the job, opens one multipart upload per output shard, writes maps.json and tasks.json; answers the PlanResult.",
      "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters": {
        "QueueUrl.$": "$.queueUrl",
        "MessageBody": {
          "op": "plan",
          "spec.$": "$.spec",
          "taskBytes.$": "$.taskBytes",
          "trigger.$": "$.trigger",
          "taskToken.$": "$$.Task.Token",
        },
      },
      ...callbackTiming(),
      "ResultPath": "$.plan",
      "Catch": [
        {
          "Comment": "No job was planned (an invalid spec, an input missing): nothing to abort.",
          "ErrorEquals": [
            "States.ALL",
          ],
          "ResultPath": "$.error",
          "Next": "Failed",
        },
      ],
      "Next": "Published?",
    },
    "Published?": {
      "Type": "Choice",
      "Choices": [
        {
          "Variable": "$.plan.published",
          "BooleanEquals": true,
          "Next": "AlreadyPublished",
        },
      ],
      "Default": "Maps?",
    },
    "Maps?": {
      "Type": "Choice",
      "Comment":
        "The map tasks (remap window passes) spill what every other task reads: they run first, when there are any.",
      "Choices": [
        {
          "Variable": "$.plan.mapTasks",
          "NumericGreaterThan": 0,
          "Next": "Maps",
        },
      ],
      "Default": "Tasks",
    },
    "AlreadyPublished": {
      "Type": "Succeed",
      "Comment": "The output was already published by this job: the plan result says so.",
      "OutputPath": "$.plan",
    },
    "Maps": taskMap("maps", "Tasks"),
    "Tasks": taskMap("tasks", "Commit"),
    "Commit": {
      "Type": "Task",
      "Comment":
        "Checks every task result, completes the uploads and publishes; answers the report (or its summary).",
      "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters": {
        "QueueUrl.$": "$.queueUrl",
        "MessageBody": {
          "op": "commit",
          "job.$": "$.plan.job",
          "taskToken.$": "$$.Task.Token",
        },
      },
      ...callbackTiming(),
      "ResultPath": "$.report",
      "Catch": [
        {
          "ErrorEquals": [
            "States.ALL",
          ],
          "ResultPath": "$.error",
          "Next": "Abort",
        },
      ],
      "Next": "Done",
    },
    "Done": {
      "Type": "Succeed",
      "OutputPath": "$.report",
    },
    "Abort": {
      "Type": "Task",
      "Comment": "Aborts every upload of the job; nothing is published.",
      "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters": {
        "QueueUrl.$": "$.queueUrl",
        "MessageBody": {
          "op": "abort",
          "job.$": "$.plan.job",
          "error.$": "$.error.Error",
          "taskToken.$": "$$.Task.Token",
        },
      },
      ...callbackTiming(),
      "ResultPath": "$.aborted",
      "Catch": [
        {
          "ErrorEquals": [
            "States.ALL",
          ],
          "ResultPath": "$.abortError",
          "Next": "Failed",
        },
      ],
      "Next": "Failed",
    },
    "Failed": {
      "Type": "Fail",
      "ErrorPath": "$.error.Error",
      "CausePath": "$.error.Cause",
    },
  },
};
