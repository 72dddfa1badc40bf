/**
 * The package's public surface, pinned: the names each entry point of deno.json `exports`
 * exports (a change here is a change of the API, made on purpose), and the layering of lib/
 * (imports point down, and across layers only through a layer's mod.ts).
 */
import assert from "node:assert/strict";
import * as posix from "node:path/posix";

const ROOT = new URL("../", import.meta.url).pathname;

const SURFACE: Record<string, string[]> = {
  ".": [
    "CheckpointError",
    "CheckpointNotFoundError",
    "CorruptCheckpointError",
    "JobConflictError",
    "KerasFileError",
    "LocationNotAllowedError",
    "NotRegularFileError",
    "ObjectChangedError",
    "ObjectNotFoundError",
    "ObjectTooLargeError",
    "PreconditionFailedError",
    "SettingsError",
    "SpecError",
    "StorageError",
    "TensorNotFoundError",
    "UnsupportedError",
    "parseJobMessage",
    "parseJobSpec",
    "runJobOp",
    "runWarmStart",
  ],
  "./checkpoint": [
    "BundleBuilder",
    "CheckpointError",
    "CheckpointNotFoundError",
    "CorruptCheckpointError",
    "DT_FLOAT",
    "DT_INT64",
    "DT_STRING",
    "DT_VARIANT",
    "KerasFileError",
    "MAX_INDEX_BYTES",
    "MAX_OBJECT_GRAPH_BYTES",
    "MAX_SHARDS",
    "MAX_SLICES",
    "MAX_STATE_FILE_BYTES",
    "OBJECT_GRAPH_KEY",
    "STATE_FILE_NAME",
    "TensorNotFoundError",
    "UnsupportedError",
    "VARIABLE_VALUE_SUFFIX",
    "checkEntryExtents",
    "compareKeys",
    "dataLocation",
    "decodeBundleIndex",
    "decodeObjectGraph",
    "decodeStringTensor",
    "defaultHeader",
    "displayKey",
    "dtypeElementSize",
    "dtypeFromName",
    "dtypeName",
    "encodeBundleIndex",
    "encodeObjectGraph",
    "encodeStringTensor",
    "formatCheckpointState",
    "formatSlice",
    "fullBox",
    "indexLocation",
    "isSliceAssemblable",
    "keyBytes",
    "keyId",
    "keyText",
    "listVariables",
    "locateBox",
    "locateRows",
    "metaGraphLocation",
    "numElements",
    "parseCheckpointState",
    "parseSlice",
    "payloadCrc",
    "readBox",
    "readBundleIndex",
    "readCheckpointState",
    "readGraphVariables",
    "readObjectGraph",
    "readRows",
    "readTensor",
    "readTensorBytes",
    "readTrainableVariables",
    "resolveCheckpointPrefix",
    "rowBox",
    "shardSize",
    "sliceBox",
    "statePathLocation",
    "storedTensor",
    "stringTensor",
    "verifyTensors",
    "writeBundle",
    "writeCheckpointState",
  ],
  "./storage": [
    "FileStore",
    "CLEANUP_CONCURRENCY",
    "Limiter",
    "settleEach",
    "LocationNotAllowedError",
    "MAX_PARTS",
    "MIN_PART_SIZE",
    "NotRegularFileError",
    "ObjectChangedError",
    "ObjectNotFoundError",
    "ObjectTooLargeError",
    "PartSizer",
    "PreconditionFailedError",
    "S3Store",
    "StorageError",
    "addSecret",
    "basenameLocation",
    "canonicalLocation",
    "clip",
    "cutCopy",
    "defaultStore",
    "dirnameLocation",
    "isAllowed",
    "isS3",
    "jobStore",
    "joinLocation",
    "parseAllowList",
    "parseLocation",
    "readCapped",
    "redactSecrets",
    "routingStore",
    "s3Location",
    "withAllowList",
    "withEtagPinning",
    "withJobSignal",
    "withRangeReads",
    "withRetries",
    "wrapStore",
  ],
  "./function": [
    "ConfigError",
    "ForbiddenLocationError",
    "ForbiddenRequestError",
    "JobTimeoutError",
    "PayloadTooLargeError",
    "RequestTimeoutError",
    "ShuttingDownError",
    "TooManyJobsError",
    "TooManyRecordsError",
    "USAGE",
    "UnauthorizedError",
    "UnsupportedMediaTypeError",
    "UsageError",
    "WorkerTaskError",
    "atLevel",
    "cliInspect",
    "cliInspectDiff",
    "cliQueueWorker",
    "cliWarmStart",
    "createHandler",
    "createJobRunner",
    "createLogger",
    "errorBody",
    "errorResponse",
    "exitProcess",
    "loadConfig",
    "outcomeOf",
    "parseCommand",
    "parseLogLevel",
    "registerSchedules",
    "runStdioWorker",
    "RUNTIME_FLAGS",
    "serve",
    "V8_FLAGS",
    "silentLogger",
    "stateMachineDefinition",
    "withTelemetry",
    "workerPool",
  ],
  "./bytes": [
    "ByteReader",
    "ByteWriter",
    "crc32c",
    "crc32cCombine",
    "Crc32cStream",
    "holdCrcWorker",
    "maskCrc",
    "unmaskCrc",
    "varintLength",
  ],
};

Deno.test("deno.json exports: name, version and one entry per layer, each exporting its pinned names", async () => {
  const config = JSON.parse(await Deno.readTextFile(posix.join(ROOT, "deno.json")));
  assert.equal(config.name, "@warm-start/core");
  assert.match(config.version, /^\d+\.\d+\.\d+$/);
  assert.deepEqual(Object.keys(config.exports).sort(), Object.keys(SURFACE).sort());
  for (const [entry, file] of Object.entries(config.exports as Record<string, string>)) {
    const module = await import(new URL(file, `file://${ROOT}`).href);
    assert.deepEqual(Object.keys(module).sort(), [...SURFACE[entry]].sort(), `exports of ${entry}`);
  }
});

/** lib/ layers from the top; a layer may import only layers after it. */
const LAYERS = ["function", "warmstart", "checkpoint", "storage", "bytes"];

Deno.test("lib/ layers import downward only, across layers only through mod.ts", async () => {
  const problems: string[] = [];
  for (const layer of LAYERS) {
    const dir = posix.join(ROOT, "lib", layer);
    for await (const e of Deno.readDir(dir)) {
      if (!e.name.endsWith(".ts")) continue;
      const text = await Deno.readTextFile(posix.join(dir, e.name));
      for (const m of text.matchAll(/from "(\.\.\/[^"]+)"|import\("(\.\.\/[^"]+)"\)/g)) {
        const spec = m[1] ?? m[2];
        const [, target, file] = /^\.\.\/([a-z]+)\/(.+)$/.exec(spec) ?? [];
        const where = `lib/${layer}/${e.name} imports ${spec}`;
        if (!LAYERS.includes(target)) problems.push(`${where}: not a layer`);
        else if (LAYERS.indexOf(target) <= LAYERS.indexOf(layer)) problems.push(`${where}: upward`);
        else if (file !== "mod.ts") problems.push(`${where}: not through mod.ts`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
