import assert from "node:assert/strict";
import {
  canonicalLocation,
  FileStore,
  isAllowed,
  jobStore,
  LocationNotAllowedError,
  parseAllowList,
  type Store,
  withAllowList,
} from "../../lib/storage/mod.ts";
import { STORE_METHODS } from "../../lib/storage/wrap_store.ts";
import { MemoryStore, recordingStore } from "../_stores.ts";

Deno.test("parseAllowList(): entries are directories, canonical, slash-terminated", () => {
  assert.deepEqual(parseAllowList(" s3://models/prod ,/data,, data2/, s3://b", "/srv"), [
    "s3://models/prod/",
    "/data/",
    "/srv/data2/",
    "s3://b/",
  ]);
  assert.throws(() => parseAllowList("s3://b/a/../c"), TypeError);
  assert.throws(() => parseAllowList("s3:///x"), TypeError);
});

Deno.test("canonicalLocation() resolves local dot segments and refuses them in S3 keys", () => {
  assert.equal(canonicalLocation("/data/../etc/passwd"), "/etc/passwd");
  assert.equal(canonicalLocation("file:///data/x"), "/data/x");
  assert.equal(canonicalLocation("rel/x", "/srv"), "/srv/rel/x");
  assert.equal(canonicalLocation("/data/dir/"), "/data/dir/");
  assert.equal(canonicalLocation("s3://b/a/./c"), undefined);
  assert.equal(canonicalLocation("s3://b/a/../c"), undefined);
  assert.equal(canonicalLocation("s3://b/a//c"), "s3://b/a//c");
});

Deno.test("isAllowed(): concrete objects under directory entries, never look-alikes", () => {
  const allowed = parseAllowList("s3://models/prod,/data");
  assert.equal(isAllowed("s3://models/prod/x/model.ckpt-1", allowed), true);
  assert.equal(isAllowed("s3://models/prod/", allowed), true); // the directory, for listing
  // The object `prod` and its siblings `prod.index`, `checkpoint` are not under prod/.
  assert.equal(isAllowed("s3://models/prod", allowed), false);
  assert.equal(isAllowed("s3://models/prod.index", allowed), false);
  assert.equal(isAllowed("s3://models/checkpoint", allowed), false);
  assert.equal(isAllowed("s3://models/production/x", allowed), false);
  assert.equal(isAllowed("s3://other/prod/x", allowed), false);
  assert.equal(isAllowed("/data/run/model", allowed), true);
  assert.equal(isAllowed("/data", allowed), false);
  assert.equal(isAllowed("/data-other/x", allowed), false);
  assert.equal(isAllowed("/data/../etc/passwd", allowed), false);
  assert.equal(isAllowed("/database", allowed), false);
  assert.equal(isAllowed("anything", undefined), true);
});

Deno.test("withAllowList(): every call and every copy source is checked before the store sees it", async () => {
  const base = new MemoryStore();
  base.objects.set("s3://m/ok/a", new Uint8Array([1, 2, 3]));
  base.objects.set("s3://m/secret", new Uint8Array([9, 9]));
  const rec = recordingStore(base);
  const store = withAllowList(rec, parseAllowList("s3://m/ok/"));
  const refused = (e: unknown) => e instanceof LocationNotAllowedError;
  assert.deepEqual(await store.read("s3://m/ok/a"), new Uint8Array([1, 2, 3]));
  await assert.rejects(store.stat("s3://m/secret"), refused);
  await assert.rejects(store.read("s3://m/secret"), refused);
  await assert.rejects(store.readRange("s3://m/secret", { offset: 0, length: 1 }), refused);
  await assert.rejects(store.list("s3://m/"), refused);
  await assert.rejects(store.put("s3://m/ok", new Uint8Array(1)), refused);
  await assert.rejects(store.delete("s3://m/secret"), refused);
  await assert.rejects(
    store.write(
      "s3://m/ok/out",
      (async function* () {
        yield new Uint8Array([1]);
        yield { copyFrom: "s3://m/secret", offset: 0, length: 2 };
      })(),
    ),
    refused,
  );
  assert.equal(base.objects.has("s3://m/ok/out"), false);
  // Nothing outside reached the store below (the write began, and failed at the refused piece).
  assert.deepEqual(rec.requests.map((r) => `${r.op} ${r.location}`), [
    "read s3://m/ok/a",
    "write s3://m/ok/out",
  ]);
  assert.deepEqual(await store.list("s3://m/ok/"), ["s3://m/ok/a"]);
});

Deno.test("jobStore({allowed}): pinning's own stats go through the allow-list", async () => {
  const base = new MemoryStore();
  base.objects.set("s3://m/secret", new Uint8Array([9]));
  const rec = recordingStore(base);
  const store = jobStore(rec, { allowed: parseAllowList("s3://m/ok/"), retries: false });
  await assert.rejects(
    store.readRanges("s3://m/secret", [{ offset: 0, length: 1 }]),
    (e: unknown) => e instanceof LocationNotAllowedError,
  );
  assert.deepEqual(rec.requests, []);
});

Deno.test("withAllowList(): symlinks are resolved and re-checked, for reads and writes", async () => {
  const root = await Deno.makeTempDir({ prefix: "wsf-allow-" });
  try {
    await Deno.mkdir(`${root}/allowed/sub`, { recursive: true });
    await Deno.mkdir(`${root}/outside`);
    await Deno.writeTextFile(`${root}/outside/secret`, "secret");
    await Deno.writeTextFile(`${root}/allowed/sub/real`, "real");
    await Deno.symlink(`${root}/outside/secret`, `${root}/allowed/link`);
    await Deno.symlink(`${root}/outside`, `${root}/allowed/dirlink`);
    await Deno.symlink(`${root}/allowed/sub/real`, `${root}/allowed/inner`);
    const store = withAllowList(new FileStore({ fsync: false }), parseAllowList(`${root}/allowed`));
    const refused = (e: unknown) =>
      e instanceof LocationNotAllowedError && /symbolic link/.test(e.message);
    await assert.rejects(store.read(`${root}/allowed/link`), refused);
    await assert.rejects(store.stat(`${root}/allowed/dirlink/secret`), refused);
    await assert.rejects(store.put(`${root}/allowed/dirlink/new`, new Uint8Array([1])), refused);
    await assert.rejects(store.delete(`${root}/allowed/dirlink/secret`), refused);
    // A link that stays inside is fine; so is a new file in a real directory.
    assert.equal(new TextDecoder().decode(await store.read(`${root}/allowed/inner`)), "real");
    await store.put(`${root}/allowed/sub/new/file`, new Uint8Array([7]));
    assert.deepEqual([...Deno.readDirSync(`${root}/outside`)].map((e) => e.name), ["secret"]);
    assert.equal(Deno.readTextFileSync(`${root}/outside/secret`), "secret");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("withAllowList(): every Store method that does I/O is checked (fail closed on new ones)", async () => {
  const reached: string[] = [];
  const base = Object.fromEntries(STORE_METHODS.map((m) => [m, (...args: unknown[]) => {
    reached.push(m);
    return m === "copiesServerSide" ? false : m === "uploadRules" ? {} : Promise.resolve(args[0]);
  }])) as unknown as Store;
  const store = withAllowList(base, parseAllowList("s3://m/ok/"));
  const out = { location: "s3://m/secret", uploadId: "u" };
  const calls: Record<(typeof STORE_METHODS)[number], () => unknown> = {
    stat: () => store.stat("s3://m/secret"),
    read: () => store.read("s3://m/secret"),
    readRange: () => store.readRange("s3://m/secret", { offset: 0, length: 1 }),
    list: () => store.list("s3://m/"),
    put: () => store.put("s3://m/secret", new Uint8Array(1)),
    write: () => store.write("s3://m/secret", (async function* () {})()),
    delete: () => store.delete("s3://m/secret"),
    createUpload: () => store.createUpload("s3://m/secret"),
    uploadPart: () =>
      store.uploadPart({ location: "s3://m/ok/x", uploadId: "u" }, {
        partNumber: 1,
        offset: 0,
        body: { copyFrom: "s3://m/secret", offset: 0, length: 1 },
      }),
    completeUpload: () => store.completeUpload(out, []),
    abortUpload: () => store.abortUpload(out),
    listUploads: () => store.listUploads("s3://m/"),
    listParts: () => store.listParts(out),
    uploadRules: () => store.uploadRules("s3://m/secret"),
    copiesServerSide: () => store.copiesServerSide("s3://m/secret", "s3://m/ok/x"),
  };
  for (const method of STORE_METHODS) {
    // No I/O: questions about locations.
    if (method === "copiesServerSide" || method === "uploadRules") continue;
    await assert.rejects(
      Promise.resolve().then(calls[method]),
      (e: unknown) => e instanceof LocationNotAllowedError,
      method,
    );
  }
  assert.deepEqual(reached, []);
});
