import assert from "node:assert/strict";
import {
  DT_BFLOAT16,
  DT_FLOAT,
  DT_HALF,
  DT_INT4,
  DT_STRING,
  DT_VARIANT,
  dtypeElementSize,
  dtypeFromName,
  dtypeName,
  numElements,
} from "../../lib/checkpoint/dtype.ts";
import { readBundleIndex } from "../../lib/checkpoint/bundle_index.ts";
import { localStore } from "../_stores.ts";
import { fixturePath, manifest } from "./_fixtures.ts";

Deno.test("dtypeName/dtypeFromName: constants and TF's names", () => {
  assert.equal(dtypeName(DT_FLOAT), "float32");
  assert.equal(dtypeName(DT_HALF), "float16");
  assert.equal(dtypeName(DT_BFLOAT16), "bfloat16");
  assert.equal(dtypeName(DT_STRING), "string");
  assert.equal(dtypeName(DT_VARIANT), "variant");
  assert.equal(dtypeName(DT_INT4), "int4");
  assert.equal(dtypeFromName("half"), DT_HALF);
  assert.throws(() => dtypeFromName("float128"), RangeError);
  assert.equal(dtypeName(99), "dtype_99");
});

Deno.test("every dtype TF wrote: our name equals TF's DType.name and the element size matches the bytes", async () => {
  const index = await readBundleIndex(localStore(), fixturePath(manifest.fixtures.dtypes.prefix));
  const seen = new Set<string>();
  for (const v of manifest.fixtures.dtypes.variables) {
    const e = index.get(v.name)!;
    assert.equal(dtypeName(e.dtype), v.dtype, v.name);
    assert.equal(dtypeFromName(v.dtype), e.dtype);
    const size = dtypeElementSize(e.dtype);
    if (v.hex !== undefined) {
      assert.equal(size! * numElements(v.shape), v.hex.length / 2, v.name);
      assert.equal(e.size, v.hex.length / 2);
    } else {
      assert.equal(size, undefined, v.name);
    }
    seen.add(v.dtype);
  }
  // 31 savable dtypes: the 29 fixed-width ones, string and variant (resource cannot be saved).
  assert.equal(seen.size, 31, [...seen].join(","));
});
