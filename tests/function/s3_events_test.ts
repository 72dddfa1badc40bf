import { deepEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { SettingsError } from "../../lib/warmstart/errors.ts";
import { decodeEventKey, normalizeEtag, parseNotification } from "../../lib/function/s3_events.ts";
import { TooManyRecordsError } from "../../lib/function/errors.ts";

Deno.test("decodeEventKey() undoes AWS's form encoding", () => {
  assertEquals(decodeEventKey("runs/day+1/a%2Bb.json"), "runs/day 1/a+b.json");
  assertEquals(decodeEventKey("caf%C3%A9/x"), "café/x");
  assertEquals(decodeEventKey("bad%zz"), "bad%zz");
});

Deno.test("normalizeEtag() strips quotes and weak markers", () => {
  assertEquals(normalizeEtag('"abc"'), "abc");
  assertEquals(normalizeEtag('W/"abc"'), "abc");
  assertEquals(normalizeEtag("abc-3"), "abc-3");
  assertEquals(normalizeEtag(""), undefined);
});

// The AWS sample record (notification-content-structure), trimmed.
const aws = {
  Records: [{
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: "us-west-2",
    eventTime: "2026-11-28T02:00:00.000Z",
    eventName: "ObjectCreated:CompleteMultipartUpload",
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "warm-start",
      bucket: { name: "models", arn: "arn:aws:s3:::models" },
      object: {
        key: "new/model.ckpt-1.index",
        size: 1024,
        eTag: "0123456789abcdef0123456789abcdef",
        sequencer: "0A1B2C3D4E5F678901",
      },
    },
  }, {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    eventName: "ObjectRemoved:Delete",
    s3: { bucket: { name: "models" }, object: { key: "gone" } },
  }],
};

Deno.test("parseNotification() reads AWS records and skips non-create events", () => {
  const { events, ignored } = parseNotification(aws);
  assertEquals(events, [{
    bucket: "models",
    key: "new/model.ckpt-1.index",
    location: "s3://models/new/model.ckpt-1.index",
    eventName: "ObjectCreated:CompleteMultipartUpload",
    created: true,
    eventTime: "2026-11-28T02:00:00.000Z",
    sequencer: "0A1B2C3D4E5F678901",
    sequencerStyle: "aws",
    etag: "0123456789abcdef0123456789abcdef",
    size: 1024,
    index: 0,
  }]);
  assertEquals(ignored, ["ObjectRemoved:Delete s3://models/gone"]);
});

Deno.test("parseNotification() reads versitygw's webhook record (s3event/event.go)", () => {
  const body = {
    Records: [{
      eventVersion: "2.2",
      eventSource: "aws:s3",
      awsRegion: "us-east-1",
      eventTime: "2026-11-28T12:00:00Z",
      eventName: "s3:ObjectCreated:Put",
      userIdentity: { PrincipalId: "test" },
      requestParameters: { sourceIPAddress: "127.0.0.1" },
      responseElements: { "x-amz-request-id": "", "x-amz-id-2": "" },
      s3: {
        s3SchemaVersion: "1.0",
        configurationId: "webhook-global",
        bucket: {
          name: "models",
          ownerIdentity: { PrincipalId: "test" },
          arn: "arn:aws:s3:::/models/k",
        },
        object: {
          key: "run/warm_start.json",
          size: 10,
          eTag: '"e1"',
          versionId: null,
          sequencer: "1F",
        },
      },
      glacierEventData: { restoreEventData: {} },
    }],
  };
  const [e] = parseNotification(body).events;
  assertEquals(e.eventName, "ObjectCreated:Put");
  assertEquals(e.sequencerStyle, "counter");
  assertEquals(e.sequencer, "1F");
  assertEquals(e.etag, "e1");
  assertEquals(e.location, "s3://models/run/warm_start.json");
  assertEquals(parseNotification({ Service: "S3", Event: "s3:TestEvent" }), {
    events: [],
    ignored: ["test event"],
    invalid: [],
  });
});

Deno.test("parseNotification() reads MinIO's webhook shape and SNS envelopes", () => {
  const minio = {
    EventName: "s3:ObjectCreated:Put",
    Key: "models/a b",
    Records: [{
      eventName: "s3:ObjectCreated:Put",
      s3: { bucket: { name: "models" }, object: { key: "a+b", sequencer: "17B" } },
    }],
  };
  assertEquals(parseNotification(minio).events[0].key, "a b");
  const sns = { Type: "Notification", MessageId: "1", Message: JSON.stringify(aws) };
  assertEquals(parseNotification(sns).events.length, 1);
  const confirm = { Type: "SubscriptionConfirmation", SubscribeURL: "https://sns.example/confirm" };
  assertEquals(parseNotification(confirm).events, []);
});

Deno.test("parseNotification() rejects other shapes with a SettingsError naming the field", () => {
  const check = (body: unknown, field: string) =>
    assertThrows(
      () => parseNotification(body),
      (e: unknown) => e instanceof SettingsError && e.kind === "spec" && e.field === field,
    );
  check([], "(body)");
  check({ foo: 1 }, "Records");
  check({ Type: "Notification", Message: "{" }, "Message");
});

Deno.test("parseNotification() refuses malformed records one by one and keeps the rest", () => {
  const good = aws.Records[0];
  const { events, invalid } = parseNotification({
    Records: [
      { s3: { bucket: {}, object: { key: "k" } } },
      42,
      good,
      { ...good, eventName: { toString: 1 } },
      { ...good, s3: { ...good.s3, bucket: { name: "a/b" } } },
    ],
  });
  assertEquals(events.map((e) => e.index), [2]);
  assertEquals(invalid.map((r) => r.index), [0, 1, 3, 4]);
  assertEquals(/Records\[3\]\.eventName: expected a string/.test(invalid[2].reason), true);
});

Deno.test("parseNotification() refuses a body with more records than allowed, whole", () => {
  const body = { Records: Array.from({ length: 101 }, () => aws.Records[0]) };
  assertThrows(() => parseNotification(body), (e: unknown) => e instanceof TooManyRecordsError);
  assertEquals(parseNotification(body, { maxRecords: 101 }).events.length, 101);
});

Deno.test("parseNotification() reads Cloudflare R2 messages (keys not encoded)", () => {
  const message = {
    account: "3f4b7e3dcab231cbfdaa90a6a28bd548",
    action: "CompleteMultipartUpload",
    bucket: "models",
    object: {
      key: "runs/day+1/model.ckpt-1.index",
      size: 65536,
      eTag: "c846ff7a18f28c2e262116d6e8719ef0",
    },
    eventTime: "2026-11-28T02:00:00.000Z",
  };
  const one = parseNotification(message);
  assertEquals(one.events[0].location, "s3://models/runs/day+1/model.ckpt-1.index");
  assertEquals(one.events[0].eventName, "ObjectCreated:CompleteMultipartUpload");
  const batch = parseNotification([message, { ...message, action: "DeleteObject" }]);
  assertEquals(batch.events.length, 1);
  assertEquals(batch.ignored, ["DeleteObject s3://models/runs/day+1/model.ckpt-1.index"]);
});
