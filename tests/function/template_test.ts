import { deepEqual as assertEquals } from "node:assert/strict";
import { renderJobTemplate, templateValues } from "../../lib/function/template.ts";

Deno.test("templateValues() names the parts of a checkpoint prefix", () => {
  assertEquals(templateValues("s3://m/cand/model.ckpt-1200"), {
    new_checkpoint: "s3://m/cand/model.ckpt-1200",
    new_dir: "s3://m/cand",
    new_name: "model.ckpt-1200",
    step: "1200",
  });
  assertEquals(templateValues("/data/ckpt").step, "");
});

Deno.test("renderJobTemplate() fills placeholders in values only, defaulting new_checkpoint", () => {
  const job = {
    ckpt_to_initialize_from: "s3://m/prod/",
    output: "s3://m/warm/{new_name}-from-prod",
    vars_to_warm_start: ["dense.{2}", "{unknown}"],
    var_name_to_prev_var_name: { "{new_name}": "{step}" },
  };
  assertEquals(renderJobTemplate(job, "s3://m/cand/model.ckpt-7"), {
    new_checkpoint: "s3://m/cand/model.ckpt-7",
    ckpt_to_initialize_from: "s3://m/prod/",
    output: "s3://m/warm/model.ckpt-7-from-prod",
    vars_to_warm_start: ["dense.{2}", "{unknown}"],
    var_name_to_prev_var_name: { "{new_name}": "7" },
  });
});
