/**
 * Writes docs/job_spec.schema.json, the JSON Schema of the job spec, from the field table the
 * validator uses (lib/warmstart/spec_fields.ts). `deno task schema`; tests/warmstart/
 * spec_schema_test.ts fails when the committed file is not what this writes.
 */
import { jobSpecSchema } from "../lib/warmstart/mod.ts";

/** The file's exact text. */
export function schemaText(): string {
  return JSON.stringify(jobSpecSchema(), null, 2) + "\n";
}

if (import.meta.main) {
  const out = new URL("../docs/job_spec.schema.json", import.meta.url);
  await Deno.writeTextFile(out, schemaText());
  console.error(`wrote ${out.pathname}`);
}
