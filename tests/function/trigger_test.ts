import { deepEqual as assertEquals } from "node:assert/strict";
import { compareSequencers, compareTriggers } from "../../lib/function/trigger.ts";

Deno.test("compareSequencers() right-pads the shorter AWS sequencer with zeros", () => {
  assertEquals(compareSequencers("005F0", "005E"), 1); // "005F0" > "005E0"
  assertEquals(compareSequencers("005E", "005E0"), 0);
  assertEquals(compareSequencers("0055AED6DCD90281E5", "0055AED6DCD90281E6"), -1);
  assertEquals(compareSequencers("0a", "0B"), -1);
});

Deno.test("compareSequencers() compares versitygw's unpadded counters as numbers", () => {
  assertEquals(compareSequencers("F", "10", "counter"), -1);
  assertEquals(compareSequencers("10", "F", "aws"), -1); // the AWS rule would get this wrong
  assertEquals(compareSequencers("1A", "1A", "counter"), 0);
});

Deno.test("compareTriggers() uses sequencers for AWS and time first for counters", () => {
  const t = (sequencer: string, eventTime: string, style: "aws" | "counter" = "aws") => ({
    source: "event" as const,
    sequencer,
    eventTime,
    sequencerStyle: style,
  });
  assertEquals(
    compareTriggers(t("02", "2026-01-01T00:00:00Z"), t("01", "2026-01-02T00:00:00Z")),
    1,
  );
  // A restarted versitygw counts from 1 again: the later second wins.
  assertEquals(
    compareTriggers(
      t("1", "2026-01-02T00:00:00Z", "counter"),
      t("FF", "2026-01-01T00:00:00Z", "counter"),
    ),
    1,
  );
  assertEquals(
    compareTriggers(
      t("2", "2026-01-01T00:00:00Z", "counter"),
      t("3", "2026-01-01T00:00:00Z", "counter"),
    ),
    -1,
  );
  assertEquals(compareTriggers({ source: "event" }, { source: "event" }), 0);
  assertEquals(
    compareTriggers({ source: "event", eventTime: "2026-01-01T00:00:01Z" }, {
      source: "event",
      eventTime: "2026-01-01T00:00:00Z",
    }),
    1,
  );
});
