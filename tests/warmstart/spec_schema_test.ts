import assert from "node:assert/strict";
import * as posix from "node:path/posix";
import { schemaText } from "../../scripts/job_spec_schema.ts";
import { parseJobSpec } from "../../lib/warmstart/job_spec.ts";
import { SpecError } from "../../lib/warmstart/errors.ts";
import { JOB_SPEC_FIELDS, VOCAB_INFO_FIELDS } from "../../lib/warmstart/spec_fields.ts";

const REPO = new URL("../../", import.meta.url).pathname;

Deno.test("docs/job_spec.schema.json is what the field table generates (deno task schema)", async () => {
  assert.equal(await Deno.readTextFile(`${REPO}docs/job_spec.schema.json`), schemaText());
});

Deno.test("the validator and the schema agree on fields, required fields and defaults", () => {
  const base = { ckpt_to_initialize_from: "o", new_checkpoint: "n", output: "out" };
  const vocab = { new_vocab: "a", new_vocab_size: 3, num_oov_buckets: 0, old_vocab: "b" };
  // Every required field of the table is required by the validator, every other one is not.
  for (
    const [fields, make] of [
      [JOB_SPEC_FIELDS, (o: Record<string, unknown>) => o],
      [
        VOCAB_INFO_FIELDS,
        (o: Record<string, unknown>) => ({ ...base, var_name_to_vocab_info: { v: o } }),
      ],
    ] as const
  ) {
    const full = fields === JOB_SPEC_FIELDS ? base : vocab;
    for (const [name, f] of Object.entries(fields)) {
      const without = { ...full } as Record<string, unknown>;
      delete without[name];
      if (f.required) assert.throws(() => parseJobSpec(make(without)), SpecError, name);
      else parseJobSpec(make(without));
    }
    assert.throws(() => parseJobSpec(make({ ...full, nope: 1 })), /unknown field/);
  }
  const spec = parseJobSpec({ ...base, var_name_to_vocab_info: { v: vocab } });
  assert.equal(
    spec.varNameToVocabInfo.v.oldVocabSize,
    VOCAB_INFO_FIELDS.old_vocab_size.schema.default,
  );
  assert.equal(spec.varNameToVocabInfo.v.axis, VOCAB_INFO_FIELDS.axis.schema.default);
  // A spec file may name its schema for editor completion.
  parseJobSpec({ ...base, $schema: "../docs/job_spec.schema.json" });
});

Deno.test("every committed spec uses only fields the schema knows", async () => {
  const schema = JSON.parse(schemaText());
  const specs = [`${REPO}docs/sample/warm_start.json`];
  for (const root of ["tests/fixtures/data/warmstart", "tests/fixtures/data/keras"]) {
    for (const e of Deno.readDirSync(`${REPO}${root}`)) {
      const f = posix.join(REPO, root, e.name, "spec.json");
      try {
        Deno.statSync(f);
        specs.push(f);
      } catch { /* not a scenario */ }
    }
  }
  assert.ok(specs.length > 100);
  for (const f of specs) {
    const spec = JSON.parse(await Deno.readTextFile(f));
    for (const k of Object.keys(spec)) assert.ok(k in schema.properties, `${f}: ${k}`);
    for (const k of schema.required) assert.ok(k in spec, `${f}: ${k}`);
    for (const vi of Object.values(spec.var_name_to_vocab_info ?? {}) as object[]) {
      for (const k of Object.keys(vi)) assert.ok(k in schema.$defs.VocabInfo.properties, k);
    }
  }
});
