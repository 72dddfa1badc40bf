import assert from "node:assert/strict";
import { currentEtag, sameVersion, supersededBy } from "../../lib/function/trigger.ts";
import { MemoryStore } from "../_stores.ts";

const KEY = "s3://m/run/warm_start.json";
const t = (etag?: string, sequencer?: string) => ({
  source: "event" as const,
  key: KEY,
  ...(etag ? { etag } : {}),
  ...(sequencer ? { sequencer } : {}),
});

Deno.test("sameVersion(): same key and ETag, whatever the sequencers say", () => {
  assert.equal(sameVersion(t("e1", "01"), t("e1", "FFFF")), true);
  assert.equal(sameVersion(t("e1"), t("e2")), false);
  assert.equal(sameVersion(t(), t()), false);
  assert.equal(sameVersion(t("e1"), { ...t("e1"), key: "s3://m/other" }), false);
  assert.equal(sameVersion(t("e1"), undefined), false);
});

Deno.test("supersededBy(): storage's current version decides, never the sequencer", async () => {
  const store = new MemoryStore();
  store.objects.set(KEY, new Uint8Array(5)); // MemoryStore's ETag is the size: "5"
  assert.equal(await currentEtag(store, KEY), "5");
  // A forged maximal sequencer on the old version does not make the current one older.
  assert.equal(await supersededBy(store, t("5", "01"), t("3", "FFFFFFFFFFFFFFFF")), false);
  // The other way round: the trigger's version is gone, the marker's is current.
  assert.equal(await supersededBy(store, t("3", "FF"), t("5", "01")), true);
  assert.equal(await supersededBy(store, t("5"), t("5")), false);
  assert.equal(await supersededBy(store, t(), t("5")), false);
  assert.equal(await supersededBy(store, { source: "http" }, t("5")), false);
});
