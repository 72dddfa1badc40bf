import { deepEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  canonicalLocation,
  checkSpecAllowed,
  isAllowed,
  parseAllowList,
  specLocations,
} from "../../lib/function/allow_list.ts";
import { ForbiddenLocationError } from "../../lib/function/errors.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";

Deno.test("parseAllowList() splits, trims and canonicalizes prefixes", () => {
  assertEquals(parseAllowList(" s3://models/prod/ ,/data/,, data2/", "/srv"), [
    "s3://models/prod/",
    "/data/",
    "/srv/data2/",
  ]);
});

Deno.test("canonicalLocation() resolves local dot segments and refuses them in S3 keys", () => {
  assertEquals(canonicalLocation("/data/../etc/passwd"), "/etc/passwd");
  assertEquals(canonicalLocation("file:///data/x"), "/data/x");
  assertEquals(canonicalLocation("s3://b/a/./c"), undefined);
  assertEquals(canonicalLocation("s3://b/a/../c"), undefined);
  assertEquals(canonicalLocation("s3://b/a//c"), "s3://b/a//c");
});

Deno.test("isAllowed() matches prefixes, not look-alikes", () => {
  const allowed = ["s3://models/prod/", "/data/"];
  assertEquals(isAllowed("s3://models/prod/x/model.ckpt-1", allowed), true);
  assertEquals(isAllowed("s3://models/production/x", allowed), false);
  assertEquals(isAllowed("s3://other/prod/x", allowed), false);
  assertEquals(isAllowed("/data/run/model", allowed), true);
  assertEquals(isAllowed("/data", allowed), true);
  assertEquals(isAllowed("/data/../etc/passwd", allowed), false);
  assertEquals(isAllowed("/database", allowed), false);
  assertEquals(isAllowed("anything", undefined), true);
});

Deno.test("checkSpecAllowed() checks every location, vocab files included", () => {
  const spec = parseJobSpec({
    ckpt_to_initialize_from: "s3://m/prod/old",
    new_checkpoint: "s3://m/prod/new",
    output: "s3://m/prod/out",
    var_name_to_vocab_info: {
      emb: {
        new_vocab: "s3://m/prod/new_vocab.txt",
        new_vocab_size: 3,
        num_oov_buckets: 1,
        old_vocab: "s3://m/other/old_vocab.txt",
      },
    },
  });
  assertEquals(specLocations(spec).length, 5);
  checkSpecAllowed(spec, ["s3://m/"]);
  checkSpecAllowed(spec, undefined);
  assertThrows(
    () => checkSpecAllowed(spec, ["s3://m/prod/"]),
    (e: unknown) =>
      e instanceof ForbiddenLocationError && e.field === "var_name_to_vocab_info.emb.old_vocab" &&
      e.location === "s3://m/other/old_vocab.txt",
  );
});
