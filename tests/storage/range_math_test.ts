/** Range header formatting/parsing and coalescing arithmetic, including offsets above 2^32. */
import assert from "node:assert/strict";
import { coalesceRanges, splitRange } from "../../lib/storage/coalesce.ts";
import {
  checkRange,
  formatRangeHeader,
  parseContentRange,
} from "../../lib/storage/range_header.ts";
import { crc32cBase64 } from "../../lib/storage/checksum.ts";

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

Deno.test("coalesceRanges: merges within the gap and request cap, keeps input indexes", () => {
  const ranges = [
    { offset: 100, length: 10 },
    { offset: 0, length: 50 },
    { offset: 150, length: 10 }, // gap 40 from 110: merged at maxGap 50
    { offset: G4 + 10, length: 5 },
    { offset: G4, length: 4 }, // gap 6: merged
    { offset: 7, length: 0 }, // zero-length: no request
    { offset: 10, length: 20 }, // overlap inside [0,50)
  ];
  const reqs = coalesceRanges(ranges, { maxGap: 50, maxRequest: 1000 });
  assert.deepEqual(reqs, [
    { offset: 0, length: 160, members: [1, 6, 0, 2] },
    { offset: G4, length: 15, members: [4, 3] },
  ]);
  // The request cap splits groups.
  assert.deepEqual(
    coalesceRanges(ranges, { maxGap: 50, maxRequest: 100 }).map((r) => [r.offset, r.length]),
    [
      [0, 50],
      [100, 60],
      [G4, 15],
    ],
  );
  assert.deepEqual(
    coalesceRanges(ranges, { maxGap: 0, maxRequest: 1000 }).map((r) => [r.offset, r.length]),
    [
      [0, 50],
      [100, 10],
      [150, 10],
      [G4, 4],
      [G4 + 10, 5],
    ],
  );
});

Deno.test("splitRange: chunks cover the range exactly", () => {
  assert.deepEqual(splitRange({ offset: G4 - 5, length: 25 }, 10), [
    { offset: G4 - 5, length: 10 },
    { offset: G4 + 5, length: 10 },
    { offset: G4 + 15, length: 5 },
  ]);
  assert.deepEqual(splitRange({ offset: 3, length: 0 }, 10), []);
});

Deno.test("crc32cBase64: S3 header encoding of the CRC32C check value", () => {
  // CRC32C("123456789") = 0xE3069283 -> bytes e3 06 92 83 -> base64 4waSgw==
  assert.equal(crc32cBase64(new TextEncoder().encode("123456789")), "4waSgw==");
  assert.equal(crc32cBase64(new Uint8Array(0)), "AAAAAA==");
});
