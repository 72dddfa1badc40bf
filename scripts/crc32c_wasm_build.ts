/**
 * Builds the embedded CRC32C WebAssembly module (lib/bytes/crc32c_wasm_bytes.ts) from generated
 * WAT, with npm:wabt — a tool needed only to regenerate the committed bytes, never to build or
 * run the project. Two functions: slicing-by-16, and 3 interleaved streams of slicing-by-8 whose
 * registers are combined by a table-driven shift over STREAM zero bytes (the tail by
 * slicing-by-16).
 *
 * Memory layout (1 page = 64 KiB minimum, grown by JS):
 *   [0, 16 KiB)            T[k][b] for k < 16 (slicing tables, filled by JS at init)
 *   [16 KiB, 20 KiB)       SHIFT[j][b], 4 x 256: register shifted by STREAM bytes of zeros
 *   [64 KiB, ...)          input staging buffer
 *
 * Run: deno run -A scripts/crc32c_wasm_build.ts (writes lib/bytes/crc32c_wasm_bytes.ts and
 * scripts/crc32c.wat).
 */
// A build-time tool, deliberately not a dependency of the project (deno.json).
// deno-lint-ignore no-import-prefix
import wabtInit from "npm:wabt@1.0.39";

export const STREAM = 4096; // bytes per stream block in the interleaved variant
const TBL = (k: number) => k * 1024;
const SHIFT = 16384;

/** WAT expression: table k lookup of byte `byteExpr` (an i32 0..255). */
const look = (k: number, byteExpr: string) =>
  `(i32.load offset=${TBL(k)} (i32.shl ${byteExpr} (i32.const 2)))`;
const byteOf = (w: string, i: number) =>
  i === 0
    ? `(i32.and (local.get ${w}) (i32.const 255))`
    : i === 3
    ? `(i32.shr_u (local.get ${w}) (i32.const 24))`
    : `(i32.and (i32.shr_u (local.get ${w}) (i32.const ${8 * i})) (i32.const 255))`;
const xorAll = (xs: string[]) => xs.reduce((a, b) => `(i32.xor ${a} ${b})`);

function slicingBody(n: 8 | 16, crcVar: string, ptrVar: string, words: string[]): string {
  // words: n/4 i32 locals
  const loads = words.map((w, j) =>
    `(local.set ${w} (i32.load offset=${j * 4} (local.get ${ptrVar})))`
  ).join("\n");
  const terms: string[] = [];
  words.forEach((w, j) => {
    for (let i = 0; i < 4; i++) terms.push(look(n - 1 - (j * 4 + i), byteOf(w, i)));
  });
  return `${loads}
      (local.set ${words[0]} (i32.xor (local.get ${words[0]}) (local.get ${crcVar})))
      (local.set ${crcVar} ${xorAll(terms)})`;
}

const byteStep = (crc: string, ptr: string) =>
  `(local.set ${crc} (i32.xor ${
    look(
      0,
      `(i32.and (i32.xor (local.get ${crc}) (i32.load8_u (local.get ${ptr}))) (i32.const 255))`,
    )
  } (i32.shr_u (local.get ${crc}) (i32.const 8))))`;

function sliceFunc(name: string, n: 8 | 16): string {
  const words = Array.from({ length: n / 4 }, (_, j) => `$w${j}`);
  return `
  (func $${name} (export "${name}") (param $ptr i32) (param $len i32) (param $crc i32) (result i32)
    ${words.map((w) => `(local ${w} i32)`).join(" ")} (local $end i32)
    (local.set $crc (i32.xor (local.get $crc) (i32.const -1)))
    (local.set $end (i32.add (local.get $ptr) (i32.and (local.get $len) (i32.const ${-n}))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
      ${slicingBody(n, "$crc", "$ptr", words)}
      (local.set $ptr (i32.add (local.get $ptr) (i32.const ${n})))
      (br $l)))
    (local.set $end (i32.add (local.get $end) (i32.and (local.get $len) (i32.const ${n - 1}))))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $ptr) (local.get $end)))
      ${byteStep("$crc", "$ptr")}
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
      (br $l2)))
    (i32.xor (local.get $crc) (i32.const -1)))`;
}

/** shift(reg) = reg advanced over STREAM zero bytes: XOR of 4 byte-table lookups. */
const shiftExpr = (v: string) =>
  xorAll(
    [0, 1, 2, 3].map((i) =>
      `(i32.load offset=${SHIFT + i * 1024} (i32.shl ${byteOf(v, i)} (i32.const 2)))`
    ),
  );

function interleavedFunc(): string {
  // 3 streams a|b|c of STREAM bytes each, slicing-by-8 per stream, in one loop.
  const wa = ["$a0", "$a1"], wb = ["$b0", "$b1"], wc = ["$c0", "$c1"];
  return `
  (func $crc3 (export "crc3") (param $ptr i32) (param $len i32) (param $crc i32) (result i32)
    (local $a0 i32) (local $a1 i32) (local $b0 i32) (local $b1 i32) (local $c0 i32) (local $c1 i32)
    (local $ca i32) (local $cb i32) (local $cc i32) (local $pb i32) (local $pc i32) (local $stop i32)
    (local.set $crc (i32.xor (local.get $crc) (i32.const -1)))
    (block $outerDone (loop $outer
      (br_if $outerDone (i32.lt_u (local.get $len) (i32.const ${3 * STREAM})))
      (local.set $ca (local.get $crc)) (local.set $cb (i32.const 0)) (local.set $cc (i32.const 0))
      (local.set $pb (i32.add (local.get $ptr) (i32.const ${STREAM})))
      (local.set $pc (i32.add (local.get $ptr) (i32.const ${2 * STREAM})))
      (local.set $stop (local.get $pb))
      (block $d (loop $l
        (br_if $d (i32.ge_u (local.get $ptr) (local.get $stop)))
        ${slicingBody(8, "$ca", "$ptr", wa)}
        ${slicingBody(8, "$cb", "$pb", wb)}
        ${slicingBody(8, "$cc", "$pc", wc)}
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 8)))
        (local.set $pb (i32.add (local.get $pb) (i32.const 8)))
        (local.set $pc (i32.add (local.get $pc) (i32.const 8)))
        (br $l)))
      (local.set $ca ${shiftExpr("$ca")})
      (local.set $ca (i32.xor (local.get $ca) (local.get $cb)))
      (local.set $ca ${shiftExpr("$ca")})
      (local.set $crc (i32.xor (local.get $ca) (local.get $cc)))
      (local.set $ptr (local.get $pc))
      (local.set $len (i32.sub (local.get $len) (i32.const ${3 * STREAM})))
      (br $outer)))
    ;; the rest: plain slicing-by-16 (undo/redo the inversion around the call)
    (call $crc16 (local.get $ptr) (local.get $len) (i32.xor (local.get $crc) (i32.const -1))))`;
}

const wat = `(module
  (memory (export "memory") 2)
  ${sliceFunc("crc16", 16)}
  ${interleavedFunc()}
)`;

const wabt = await wabtInit();
const mod = wabt.parseWat("crc32c.wat", wat);
mod.validate();
const { buffer } = mod.toBinary({});
const here = new URL(".", import.meta.url).pathname;
Deno.writeTextFileSync(`${here}crc32c.wat`, wat);
let b64 = "";
for (let i = 0; i < buffer.length; i += 0x8000) {
  b64 += String.fromCharCode(...buffer.subarray(i, i + 0x8000));
}
b64 = btoa(b64);
Deno.writeTextFileSync(
  `${here}../lib/bytes/crc32c_wasm_bytes.ts`,
  `/**\n * The CRC32C WebAssembly module (${buffer.length} bytes), generated by scripts/crc32c_wasm_build.ts\n * from scripts/crc32c.wat: do not edit.\n *\n * @module\n */\n\n/** Bytes per stream block of the interleaved function. */\nexport const STREAM = ${STREAM};\n/** The module, base64. */\nexport const WASM_B64 =\n  "${b64}";\n`,
);
console.log(`wasm ${buffer.length} bytes, base64 ${b64.length} chars -> crc32c_wasm_bytes.ts`);
