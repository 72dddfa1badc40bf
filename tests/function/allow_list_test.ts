import { deepEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { checkSpecAllowed, specLocations } from "../../lib/function/allow_list.ts";
import { ForbiddenLocationError } from "../../lib/function/errors.ts";
import { LocationNotAllowedError, parseAllowList } from "../../lib/storage/mod.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";

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
      e instanceof ForbiddenLocationError && e instanceof LocationNotAllowedError &&
      e.field === "var_name_to_vocab_info.emb.old_vocab" &&
      e.location === "s3://m/other/old_vocab.txt",
  );
});

Deno.test("checkSpecAllowed(): a location equal to an entry without its slash is refused", () => {
  const spec = parseJobSpec({
    ckpt_to_initialize_from: "s3://models/prod/",
    new_checkpoint: "s3://models/prod/new/model.ckpt-1",
    output: "s3://models/prod", // would write prod.index, prod.data-*, models/checkpoint
  });
  assertThrows(
    () => checkSpecAllowed(spec, parseAllowList("s3://models/prod/")),
    (e: unknown) => e instanceof ForbiddenLocationError && e.field === "output",
  );
});
