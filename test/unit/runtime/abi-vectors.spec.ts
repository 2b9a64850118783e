/**
 * The test vectors of docs/abi.md against the JS codec and the output-frame reader. Each row below
 * repeats a doc row verbatim (type, value and bytes columns) next to the JS
 * it means; a test parses the doc so that a row added there fails here until
 * it is mirrored.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { OutputCapture, readOutputFrame } from "../../../runtime/abi/call-output.js";
import { decodeResultFrame, decodeValue, encodeResultFrame, encodeValue } from "../../../runtime/abi/codec.js";
import type { JsValue } from "../../../runtime/abi/js-values.js";
import type { CallOutput } from "../../../runtime/abi/output-types.js";
import type { Signature, TypeTable, VType } from "../../../runtime/abi/value-types.js";

const i = (bits: 8 | 16 | 32 | 64, signed: boolean): VType => ({ kind: "int", bits, signed });
const str: VType = { kind: "string" };
const types: TypeTable = {
  P: {
    name: "P",
    origin: "example.com/p.P",
    fields: [
      { name: "X", jsonName: "x", type: i(32, true) },
      { name: "Name", jsonName: "name", type: str },
    ],
  },
};

interface Row {
  doc: [string, string, string];
  type: VType;
  value: JsValue;
}

const rows: Row[] = [
  { doc: ["`bool`", "`true`", "`01`"], type: { kind: "bool" }, value: true },
  { doc: ["`int<8,signed>`", "`-1`", "`ff`"], type: i(8, true), value: -1 },
  { doc: ["`int<16,unsigned>`", "`513`", "`01 02`"], type: i(16, false), value: 513 },
  { doc: ["`int<32,signed>`", "`-2`", "`fe ff ff ff`"], type: i(32, true), value: -2 },
  {
    doc: ["`int<64,signed>`", "`-9223372036854775808n`", "`00 00 00 00 00 00 00 80`"],
    type: i(64, true),
    value: -9223372036854775808n,
  },
  {
    doc: ["`int<64,unsigned>`", "`18446744073709551615n`", "`ff ff ff ff ff ff ff ff`"],
    type: i(64, false),
    value: 18446744073709551615n,
  },
  { doc: ["`float<32>`", "`1.5`", "`00 00 c0 3f`"], type: { kind: "float", bits: 32 }, value: 1.5 },
  { doc: ["`float<64>`", "`-0`", "`00 00 00 00 00 00 00 80`"], type: { kind: "float", bits: 64 }, value: -0 },
  { doc: ["`float<64>`", "`NaN`", "`00 00 00 00 00 00 f8 7f`"], type: { kind: "float", bits: 64 }, value: Number.NaN },
  { doc: ["`string`", '`""`', "`00 00 00 00`"], type: str, value: "" },
  { doc: ["`string`", '`"h€"`', "`04 00 00 00 68 e2 82 ac`"], type: str, value: "h€" },
  { doc: ["`bytes`", "`[1,2]`", "`02 00 00 00 01 02`"], type: { kind: "bytes" }, value: new Uint8Array([1, 2]) },
  {
    doc: ["`list<int<16,signed>>`", "`[1,-1]`", "`02 00 00 00 01 00 ff ff`"],
    type: { kind: "list", elem: i(16, true) },
    value: [1, -1],
  },
  {
    doc: ["`array<bool,2>`", "`[true,false]`", "`01 00`"],
    type: { kind: "array", elem: { kind: "bool" }, length: 2 },
    value: [true, false],
  },
  {
    doc: ["`map<string,int<8,unsigned>>`", '`{"b":2,"a":1}`', "`02 00 00 00 01 00 00 00 61 01 01 00 00 00 62 02`"],
    type: { kind: "map", key: str, value: i(8, false) },
    value: new Map<JsValue, JsValue>([
      ["b", 2],
      ["a", 1],
    ]),
  },
  { doc: ["`optional<string>`", "`null`", "`00`"], type: { kind: "optional", inner: str }, value: null },
  { doc: ["`optional<string>`", '`"x"`', "`01 01 00 00 00 78`"], type: { kind: "optional", inner: str }, value: "x" },
  {
    doc: [
      'record `P`: field `X` (JSON `"x"`) `int<32,signed>`, then `Name` (JSON `"name"`) `string`',
      '`{"x": 7, "name": "a"}`',
      "`07 00 00 00 01 00 00 00 61`",
    ],
    type: { kind: "record", name: "P" },
    value: { x: 7, name: "a" },
  },
];

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
const unhex = (s: string) => new Uint8Array(s.split(" ").map((x) => Number.parseInt(x, 16)));
const bytesOf = (cell: string) => cell.replace(/`/g, "");

const sig = (results: VType[]): Signature => ({ params: [], results, error: true });
const frameRows: Array<{
  doc: [string, string, string];
  sig: Signature;
  frame: Parameters<typeof encodeResultFrame>[2];
}> = [
  {
    doc: ["`(int<32,signed>, string)`", 'ok `[5, "a"]`', "`00 05 00 00 00 01 00 00 00 61`"],
    sig: sig([i(32, true), str]),
    frame: { status: 0, value: [5, "a"] },
  },
  {
    doc: ["any", 'error `"boom"`', "`01 04 00 00 00 62 6f 6f 6d`"],
    sig: sig([str]),
    frame: { status: 1, message: "boom" },
  },
  { doc: ["any", 'panic `"x"`', "`02 01 00 00 00 78`"], sig: sig([]), frame: { status: 2, message: "x" } },
];

function docTable(heading: string): string[][] {
  const doc = readFileSync(fileURLToPath(new URL("../../../docs/abi.md", import.meta.url)), "utf8");
  const start = doc.indexOf(heading);
  expect(start).toBeGreaterThan(0);
  const lines = doc.slice(start).split("\n");
  const first = lines.findIndex((l) => l.startsWith("|"));
  const out: string[][] = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith("|")) break;
    out.push(
      l
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return out;
}

describe("docs/abi.md value vectors", () => {
  it("mirrors every row of the doc", () => {
    const doc = docTable("## Test vectors");
    expect(doc.map((r) => r.join(" | "))).toEqual(rows.map((r) => r.doc.join(" | ")));
  });

  for (const row of rows) {
    const [t, v, b] = row.doc;
    it(`${t} ${v} encodes to ${b}`, () => {
      expect(hex(encodeValue(row.type, types, row.value))).toBe(bytesOf(b));
    });
    it(`${t} ${b} decodes to ${v}`, () => {
      const got = decodeValue(row.type, types, unhex(bytesOf(b)));
      if (row.type.kind === "map")
        expect([...(got as Map<JsValue, JsValue>)]).toEqual([
          ["a", 1],
          ["b", 2],
        ]);
      else expect(got).toEqual(row.value);
      if (typeof row.value === "number") expect(Object.is(got, row.value)).toBe(true);
    });
  }

  it("writes map keys sorted whatever the insertion order, and accepts a plain object", () => {
    const t: VType = { kind: "map", key: str, value: i(8, false) };
    expect(hex(encodeValue(t, types, { b: 2, a: 1 }))).toBe("02 00 00 00 01 00 00 00 61 01 01 00 00 00 62 02");
  });
});

describe("docs/abi.md result frames", () => {
  it("mirrors every row of the doc", () => {
    const doc = docTable("Result frames:");
    expect(doc.map((r) => r.join(" | "))).toEqual(frameRows.map((r) => r.doc.join(" | ")));
  });

  for (const row of frameRows) {
    it(`${row.doc[1]} is ${row.doc[2]}`, () => {
      expect(hex(encodeResultFrame(row.sig, types, row.frame))).toBe(bytesOf(row.doc[2]));
      expect(decodeResultFrame(row.sig, types, unhex(bytesOf(row.doc[2])))).toEqual(row.frame);
    });
  }
});

const outputRows: Array<{ doc: [string, string, string]; output: CallOutput }> = [
  {
    doc: ["`hi` and a newline to stdout", 'stdout `"hi\\n"`', "`01 03 00 00 00 68 69 0a`"],
    output: { chunks: [{ stream: "stdout", text: "hi\n" }], dropped: 0 },
  },
  {
    doc: [
      "`a` to stdout, `é` to stderr, `b` to stdout",
      'stdout `"a"`, stderr `"é"`, stdout `"b"`',
      "`01 01 00 00 00 61 02 02 00 00 00 c3 a9 01 01 00 00 00 62`",
    ],
    output: {
      chunks: [
        { stream: "stdout", text: "a" },
        { stream: "stderr", text: "é" },
        { stream: "stdout", text: "b" },
      ],
      dropped: 0,
    },
  },
  {
    doc: ["`x`, then 70000 bytes past the limit", 'stdout `"x"`, 70000 dropped', "`01 01 00 00 00 78 03 70 11 01 00`"],
    output: { chunks: [{ stream: "stdout", text: "x" }], dropped: 70000 },
  },
];

describe("docs/abi.md output frames", () => {
  it("mirrors every row of the doc", () => {
    const doc = docTable("Output frames (");
    expect(doc.map((r) => r.join(" | "))).toEqual(outputRows.map((r) => r.doc.join(" | ")));
  });

  for (const row of outputRows) {
    it(`${row.doc[0]} reads as ${row.doc[1]}`, () => {
      const capture = new OutputCapture();
      readOutputFrame(unhex(bytesOf(row.doc[2])), capture);
      expect(capture.take()).toEqual(row.output);
    });
  }
});
