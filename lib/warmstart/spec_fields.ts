/**
 * The job spec's fields as one declarative table: the validator (job_spec.ts) takes its field
 * names, required fields and defaults from here, the CLI's `--help` its descriptions, and
 * {@link jobSpecSchema} the JSON Schema committed as `docs/job_spec.schema.json` (a test
 * regenerates it), so the three cannot drift apart.
 *
 * @module
 */

/** One field of the spec (or of a VocabInfo). */
export interface SpecField {
  /** JSON Schema of the value (without the description). */
  schema: Record<string, unknown>;
  /** Whether the field must be present. */
  required: boolean;
  /** What the field means (TensorFlow's meaning, where TF has the argument). */
  description: string;
}

const location = (what: string) => ({
  type: "string",
  minLength: 1,
  description: `${what}: a local path, file:// URL or s3://bucket/key`,
});

/** The fields of a VocabInfo (tf.compat.v1.train.VocabInfo). */
export const VOCAB_INFO_FIELDS: Readonly<Record<string, SpecField>> = {
  new_vocab: {
    schema: location("NEW vocabulary file, one token per line"),
    required: true,
    description: "NEW vocabulary file, one token per line",
  },
  new_vocab_size: {
    schema: { type: "integer" },
    required: true,
    description: "tokens of the NEW vocabulary used (its first lines)",
  },
  num_oov_buckets: {
    schema: { type: "integer" },
    required: true,
    description: "out-of-vocabulary rows (columns) after the vocabulary",
  },
  old_vocab: {
    schema: location("OLD vocabulary file"),
    required: true,
    description: "OLD vocabulary file",
  },
  old_vocab_size: {
    schema: { type: "integer", default: -1 },
    required: false,
    description: "-1 (default): the whole OLD vocabulary file",
  },
  backup_initializer: {
    schema: {
      default: "zeros",
      oneOf: [
        { enum: ["zeros", "new", null] },
        {
          type: "object",
          properties: { constant: { type: "number" } },
          required: ["constant"],
          additionalProperties: false,
        },
      ],
    },
    required: false,
    description: 'rows without an OLD value: "zeros" (TF\'s default), {"constant": x}, or "new" ' +
      "(keep NEW's rows)",
  },
  axis: {
    schema: { enum: [0, 1], default: 0 },
    required: false,
    description: "0: the vocabulary indexes rows (embeddings); 1: columns (output layers)",
  },
};

/** The top-level fields of a job spec (the arguments of tf.compat.v1.train.warm_start). */
export const JOB_SPEC_FIELDS: Readonly<Record<string, SpecField>> = {
  $schema: {
    schema: { type: "string" },
    required: false,
    description: "for editors: this file's JSON Schema (docs/job_spec.schema.json); ignored",
  },
  ckpt_to_initialize_from: {
    schema: location("OLD checkpoint prefix, or a directory with a `checkpoint` state file"),
    required: true,
    description: "OLD checkpoint: a prefix, or a directory with a `checkpoint` state file",
  },
  new_checkpoint: {
    schema: location("NEW checkpoint prefix or directory"),
    required: true,
    description:
      "NEW checkpoint prefix (or directory): every tensor not warm-started comes from it",
  },
  output: {
    schema: location("prefix of the merged checkpoint"),
    required: true,
    description: "prefix of the MERGED checkpoint (a `checkpoint` state file is written beside it)",
  },
  vars_to_warm_start: {
    schema: {
      default: ".*",
      oneOf: [
        { type: "string" },
        { type: "array", items: { type: "string" } },
        {
          type: "object",
          properties: { variables: { type: "array", items: { type: "string" } } },
          required: ["variables"],
          additionalProperties: false,
        },
        { type: "null" },
      ],
    },
    required: false,
    description: 'a Python regex (trainable variables only; default ".*"), a list of regexes ' +
      '(all variables), {"variables": [names]}, or null (only variables with a VocabInfo)',
  },
  var_name_to_vocab_info: {
    schema: { type: "object", additionalProperties: { $ref: "#/$defs/VocabInfo" } },
    required: false,
    description: "{variable: VocabInfo}: remap the variable's rows (columns) by vocabulary",
  },
  var_name_to_prev_var_name: {
    schema: { type: "object", additionalProperties: { type: "string" } },
    required: false,
    description: "{new name: old name}: where a renamed variable's values are in OLD",
  },
  trainable_variables: {
    schema: { type: ["array", "null"], items: { type: "string" } },
    required: false,
    description: "overrides trainable-variable detection (NEW's .meta or object graph)",
  },
  overwrite: {
    schema: { type: "boolean", default: false },
    required: false,
    description: "replace foreign files at the output (a checkpoint this function did not write, " +
      "a state file listing other checkpoints, an output in an input's directory)",
  },
  strict: {
    schema: { type: "boolean", default: false },
    required: false,
    description: "turn the report's warnings (likely mistakes) into errors",
  },
};

function objectSchema(fields: Readonly<Record<string, SpecField>>): Record<string, unknown> {
  return {
    type: "object",
    properties: Object.fromEntries(
      Object.entries(fields).map((
        [name, f],
      ) => [name, { description: f.description, ...f.schema }]),
    ),
    required: Object.entries(fields).filter(([, f]) => f.required).map(([name]) => name),
    additionalProperties: false,
  };
}

/**
 * The JSON Schema (draft 2020-12) of a job spec, built from the field tables.
 *
 * @returns the schema as a JSON value
 */
export function jobSpecSchema(): Record<string, unknown> {
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    title: "warm-start job spec",
    description: "The arguments of tf.compat.v1.train.warm_start, with checkpoint and vocabulary " +
      "locations. Relative locations resolve against the spec file's directory.",
    ...objectSchema(JOB_SPEC_FIELDS),
    $defs: { VocabInfo: { title: "VocabInfo", ...objectSchema(VOCAB_INFO_FIELDS) } },
  };
}
