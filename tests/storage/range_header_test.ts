/** Range header formatting/parsing and coalescing arithmetic, including offsets above 2^32. */
import assert from "node:assert/strict";
import {
  checkRange,
  formatRangeHeader,
  parseContentRange,
} from "../../lib/storage/range_header.ts";

const G4 = 2 ** 32;

Deno.test("formatRangeHeader: inclusive end, exact above 2^32 and near 2^53", () => {
  assert.equal(formatRangeHeader({ offset: 0, length: 1 }), "bytes=0-0");
  assert.equal(formatRangeHeader({ offset: 10, length: 5 }), "bytes=10-14");
  assert.equal(formatRangeHeader({ offset: G4 - 1, length: 2 }), "bytes=4294967295-4294967296");
  assert.equal(
    formatRangeHeader({ offset: 5 * G4 + 7, length: 8 * 1024 ** 2 }),
    "bytes=21474836487-21483225094",
  );
  assert.equal(
    formatRangeHeader({ offset: 2 ** 53 - 2, length: 1 }),
    "bytes=9007199254740990-9007199254740990",
  );
  assert.throws(() => formatRangeHeader({ offset: 0, length: 0 }), TypeError);
  assert.throws(() => checkRange({ offset: -1, length: 1 }), TypeError);
  assert.throws(() => checkRange({ offset: 1.5, length: 1 }), TypeError);
  assert.throws(() => checkRange({ offset: 2 ** 53, length: 1 }), TypeError);
});

Deno.test("parseContentRange: round-trips above 2^32; rejects malformed", () => {
  assert.deepEqual(parseContentRange("bytes 4294967295-4294967296/6442450944"), {
    offset: G4 - 1,
    length: 2,
    total: 6 * 2 ** 30,
  });
  assert.deepEqual(parseContentRange("bytes 0-0/1"), { offset: 0, length: 1, total: 1 });
  assert.deepEqual(parseContentRange("bytes 5-9/*"), { offset: 5, length: 5, total: undefined });
  for (const r of [{ offset: 3 * G4 + 1, length: 1 }, { offset: 0, length: G4 + 3 }]) {
    const h = formatRangeHeader(r).replace("bytes=", "bytes ") + "/99999999999999";
    assert.deepEqual(parseContentRange(h), { ...r, total: 99999999999999 });
  }
  for (const bad of [undefined, "", "bytes 9-5/10", "bytes=0-1/2", "items 0-1/2", "bytes 0-1"]) {
    assert.equal(parseContentRange(bad), undefined, String(bad));
  }
});
