/**
 * Parses S3 event notifications into plain object events. Accepted bodies:
 *
 * - AWS: `{"Records": [{eventName: "ObjectCreated:Put", s3: {bucket: {name}, object: {key,
 *   eTag, sequencer}}, eventTime}]}`; object keys arrive form-URL-encoded (space as `+`).
 * - MinIO webhook: `{"EventName", "Key": "<bucket>/<key>", "Records": [...]}` (same records).
 * - versitygw webhook (`--event-webhook-url`): `{"Records": [...]}` with `eventName`
 *   `s3:ObjectCreated:Put`, `s3.configurationId` `webhook-global` and an unpadded hexadecimal
 *   counter as `sequencer`; its start-up test message `{"Event": "s3:TestEvent"}` is ignored.
 * - SNS HTTP(S) subscriptions: the envelope `{"Type": "Notification", "Message": "<json>"}`
 *   (or raw message delivery, which is the AWS shape above).
 * - Cloudflare R2 event notification messages (from a Queue consumer that forwards them), one
 *   or a list: `{"action": "PutObject", "bucket", "object": {"key", "size", "eTag"},
 *   "eventTime"}`; R2 keys are not URL-encoded.
 *
 * @module
 */
import { SpecError } from "../warmstart/mod.ts";
import { clip, s3Location } from "../storage/mod.ts";
import { TooManyRecordsError } from "./errors.ts";

/** One object event, keys decoded. */
export interface ObjectEvent {
  /** Bucket name. */
  bucket: string;
  /** The decoded object key. */
  key: string;
  /** `s3://bucket/key`. */
  location: string;
  /** Event name without the `s3:` prefix, e.g. `ObjectCreated:Put`. */
  eventName: string;
  /** True for ObjectCreated:* events. */
  created: boolean;
  /** ISO time of the event. */
  eventTime?: string;
  /** S3 sequencer (hex). */
  sequencer?: string;
  /** `counter` for versitygw's unpadded counter, `aws` otherwise. */
  sequencerStyle: "aws" | "counter";
  /** ETag without quotes. */
  etag?: string;
  /** Object size in bytes. */
  size?: number;
  /** Position of the record in the body. */
  index: number;
}

/** A record that is not a valid event: refused on its own, the other records still count. */
export interface InvalidRecord {
  /** Its position in the body's list (`Records[i]`, or the i-th R2 message). */
  index: number;
  /** Why it was refused. */
  reason: string;
}

/** The parsed notification: object events plus messages that carry none. */
export interface ParsedNotification {
  /** ObjectCreated events, each with its position in the body. */
  events: ObjectEvent[];
  /** Why parts of the body were skipped (test events, subscription confirmations, deletes). */
  ignored: string[];
  /** Records refused one by one (malformed). */
  invalid: InvalidRecord[];
}

/** Options of {@link parseNotification}. */
export interface ParseNotificationOptions {
  /** Most records one body may carry (default 100); more refuse the whole body. */
  maxRecords?: number;
}

const VERSITY_CONFIG_IDS = new Set([
  "webhook-global",
  "kafka-global",
  "nats-global",
  "rabbitmq-global",
]);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Decodes an event key: `decodeURIComponent(key.replace(/\+/g, " "))`, raw if malformed. */
export function decodeEventKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, " "));
  } catch {
    return key;
  }
}

/** Strips the quotes S3 puts around ETags (events usually omit them; HEAD keeps them). */
export function normalizeEtag(etag: string | undefined | null): string | undefined {
  if (etag === undefined || etag === null || etag === "") return undefined;
  return etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

/** A bucket name any S3-compatible store accepts (no `/`: it would change the location). */
const BUCKET = /^[A-Za-z0-9._-]{1,255}$/;

function parseRecord(r: unknown, index: number): ObjectEvent {
  const where = `Records[${index}]`;
  if (!isRecord(r) || !isRecord(r.s3)) {
    throw new SpecError(`Invalid event: ${where}: expected an S3 record with "s3"`, {
      field: where,
    });
  }
  const bucket = isRecord(r.s3.bucket) ? r.s3.bucket.name : undefined;
  const object = isRecord(r.s3.object) ? r.s3.object : undefined;
  if (
    typeof bucket !== "string" || !BUCKET.test(bucket) || typeof object?.key !== "string" ||
    object.key === ""
  ) {
    throw new SpecError(`Invalid event: ${where}.s3: expected bucket.name and object.key`, {
      field: `${where}.s3`,
    });
  }
  if (r.eventName !== undefined && typeof r.eventName !== "string") {
    throw new SpecError(`Invalid event: ${where}.eventName: expected a string`, {
      field: `${where}.eventName`,
    });
  }
  const eventName = (r.eventName ?? "").replace(/^s3:/, "");
  const key = decodeEventKey(object.key);
  const versity = typeof r.s3.configurationId === "string" &&
    VERSITY_CONFIG_IDS.has(r.s3.configurationId);
  return {
    bucket,
    key,
    location: s3Location(bucket, key),
    eventName,
    created: eventName.startsWith("ObjectCreated:"),
    ...(typeof r.eventTime === "string" ? { eventTime: r.eventTime } : {}),
    ...(typeof object.sequencer === "string" && object.sequencer !== ""
      ? { sequencer: object.sequencer }
      : {}),
    sequencerStyle: versity ? "counter" : "aws",
    ...(typeof object.eTag === "string" ? { etag: normalizeEtag(object.eTag) } : {}),
    ...(typeof object.size === "number" ? { size: object.size } : {}),
    index,
  };
}

const R2_CREATED = new Set(["PutObject", "CopyObject", "CompleteMultipartUpload"]);

function isR2Message(v: unknown): v is Record<string, unknown> {
  return isRecord(v) && typeof v.action === "string" && typeof v.bucket === "string" &&
    isRecord(v.object) && typeof v.object.key === "string";
}

function parseR2(messages: Array<Record<string, unknown>>): ParsedNotification {
  const events: ObjectEvent[] = [];
  const ignored: string[] = [];
  const invalid: InvalidRecord[] = [];
  for (const [index, m] of messages.entries()) {
    const object = m.object as Record<string, unknown>;
    const bucket = m.bucket as string;
    const key = object.key as string;
    if (!BUCKET.test(bucket) || key === "") {
      invalid.push({ index, reason: `message ${index}: expected bucket and object.key` });
      continue;
    }
    if (!R2_CREATED.has(m.action as string)) {
      ignored.push(`${m.action} ${s3Location(bucket, key)}`);
      continue;
    }
    events.push({
      bucket,
      key,
      location: s3Location(bucket, key),
      eventName: `ObjectCreated:${m.action}`,
      created: true,
      ...(typeof m.eventTime === "string" ? { eventTime: m.eventTime } : {}),
      sequencerStyle: "aws",
      ...(typeof object.eTag === "string" ? { etag: normalizeEtag(object.eTag) } : {}),
      ...(typeof object.size === "number" ? { size: object.size } : {}),
      index,
    });
  }
  return { events, ignored, invalid };
}

/**
 * Parses a notification body (already JSON-decoded). A malformed record is reported in
 * `invalid` and the other records still count; a body that is no notification at all, or that
 * has more than `maxRecords` records, is refused whole.
 *
 * @throws SettingsError (kind "spec") when the body is no notification shape we know;
 *   TooManyRecordsError above `maxRecords`
 */
export function parseNotification(
  body: unknown,
  options: ParseNotificationOptions = {},
  depth = 0,
): ParsedNotification {
  const maxRecords = options.maxRecords ?? 100;
  const count = (n: number) => {
    if (n > maxRecords) throw new TooManyRecordsError(n, maxRecords);
  };
  if (isR2Message(body)) return parseR2([body]);
  if (Array.isArray(body) && body.length > 0 && body.every(isR2Message)) {
    count(body.length);
    return parseR2(body);
  }
  if (!isRecord(body)) {
    throw new SpecError("Invalid event: expected a JSON object", {
      field: "(body)",
    });
  }
  if (body.Type === "SubscriptionConfirmation" || body.Type === "UnsubscribeConfirmation") {
    const url = typeof body.SubscribeURL === "string" ? body.SubscribeURL : "(no SubscribeURL)";
    return {
      events: [],
      ignored: [`sns ${body.Type}: confirm it by visiting ${clip(url, 2048)}`],
      invalid: [],
    };
  }
  if (body.Type === "Notification" && typeof body.Message === "string" && depth === 0) {
    let inner: unknown;
    try {
      inner = JSON.parse(body.Message);
    } catch {
      throw new SpecError("Invalid event: SNS Message is not JSON", {
        field: "Message",
      });
    }
    return parseNotification(inner, options, depth + 1);
  }
  if (typeof body.Event === "string" && body.Event.endsWith("TestEvent")) {
    return { events: [], ignored: ["test event"], invalid: [] };
  }
  if (!Array.isArray(body.Records)) {
    throw new SpecError(
      'Invalid event: expected "Records" (AWS S3, MinIO or versitygw notification)',
      { field: "Records" },
    );
  }
  count(body.Records.length);
  const events: ObjectEvent[] = [];
  const ignored: string[] = [];
  const invalid: InvalidRecord[] = [];
  body.Records.forEach((r, i) => {
    let event: ObjectEvent;
    try {
      event = parseRecord(r, i);
    } catch (e) {
      invalid.push({ index: i, reason: (e as Error).message });
      return;
    }
    if (event.created) events.push(event);
    else ignored.push(`${clip(event.eventName, 100)} ${clip(event.location)}`);
  });
  return { events, ignored, invalid };
}
