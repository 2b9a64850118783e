/**
 * A hand-built AnalysisResult for the Go module in fixtures/mod1 (what the Go
 * analysis would produce): the input of the generator's golden and build
 * tests. Signatures and records come from the analysis' own GoType → VType
 * code, so the tests also check that the generator agrees with it.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assignRecordNames, chooseAbi, recordTable, signatureOf } from "../../../languages/go/analysis/vtypes.js";
import type {
  GoAnalysisDetail,
  GoBasicName,
  GoFragmentDetail,
  GoNamedType,
  GoType,
} from "../../../languages/go/go-types.js";
import type { FragmentKind } from "../../../runtime/abi/manifest-types.js";
import type { AnalysisResult, AnalyzedFragment } from "../../../src/languages/adapter-types.js";

export const MOD1 = fileURLToPath(new URL("./fixtures/mod1/", import.meta.url)).replace(/\/$/, "");

const MOD = "example.com/mod1";
const SHARED = { pkgPath: `${MOD}/shared`, pkgName: "shared", dir: "shared" };
const APP = { pkgPath: `${MOD}/cmd/app`, pkgName: "main", dir: "cmd/app" };
const CALC = { pkgPath: `${MOD}/internal/calc`, pkgName: "calc", dir: "internal/calc" };

const b = (name: GoBasicName): GoType => ({ k: "basic", name });
const n = (name: string, pkgPath = SHARED.pkgPath): GoType => ({ k: "named", pkgPath, name });
const sl = (elem: GoType): GoType => ({ k: "slice", elem });
const ar = (len: number, elem: GoType): GoType => ({ k: "array", len, elem });
const mp = (key: GoType, value: GoType): GoType => ({ k: "map", key, value });
const pt = (elem: GoType): GoType => ({ k: "pointer", elem });

function namedTable(): Record<string, GoNamedType> {
  const file = "shared/shared.go";
  const named: Record<string, GoNamedType> = {
    [`${SHARED.pkgPath}.Celsius`]: { ...SHARED, name: "Celsius", underlying: b("float64"), file, line: 10 },
    [`${SHARED.pkgPath}.Address`]: {
      ...SHARED,
      name: "Address",
      underlying: {
        k: "struct",
        fields: [
          { name: "Street", jsonName: "street", type: b("string") },
          { name: "Zip", jsonName: "Zip", type: ar(3, b("uint8")) },
        ],
      },
      file,
      line: 13,
    },
    [`${SHARED.pkgPath}.Employee`]: {
      ...SHARED,
      name: "Employee",
      underlying: {
        k: "struct",
        // `secret` is unexported: the analysis leaves it out.
        fields: [
          { name: "Name", jsonName: "name", type: b("string") },
          { name: "Age", jsonName: "Age", type: b("int") },
          { name: "Salary", jsonName: "Salary", type: b("float64") },
          { name: "Tags", jsonName: "Tags", type: sl(b("string")) },
          { name: "Manager", jsonName: "Manager", type: pt(n("Employee")) },
          { name: "Home", jsonName: "Home", type: n("Address") },
        ],
      },
      file,
      line: 19,
    },
  };
  for (const v of Object.values(named)) delete (v as { dir?: string }).dir;
  assignRecordNames(named);
  return named;
}

interface FragSpec {
  id: string;
  kind: FragmentKind;
  pkg: typeof SHARED;
  file: string;
  /** Regex for the declaration's first line. */
  decl: RegExp;
  symbol: string;
  detail?: Omit<GoFragmentDetail, "pkg">;
  receiverName?: string;
}

const p = (name: string, type: GoType, variadic = false) => ({ name, type, variadic });
const fn = (funcName: string, params: GoFragmentDetail["params"], results: GoType[], hasError = false) => ({
  funcName,
  params,
  results,
  hasError,
});

const SPECS: FragSpec[] = [
  {
    id: "add",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func Add\(/,
    symbol: "Add",
    detail: fn("Add", [p("a", b("int")), p("b", b("int"))], [b("int")]),
  },
  {
    id: "warm",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func Warm\(/,
    symbol: "Warm",
    detail: fn("Warm", [p("c", n("Celsius")), p("by", b("float32"))], [n("Celsius")]),
  },
  {
    id: "is-adult",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func IsAdult\(/,
    symbol: "IsAdult",
    detail: fn("IsAdult", [p("age", b("uint8")), p("strict", b("bool"))], [b("bool")]),
  },
  {
    id: "divide",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func Divide\(/,
    symbol: "Divide",
    detail: fn("Divide", [p("a", b("int32")), p("b", b("int32"))], [b("int32")]),
  },
  {
    id: "get-hash",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func getHash\(/,
    symbol: "getHash",
    detail: fn("getHash", [p("s", b("string"))], [b("uint32")]),
  },
  {
    id: "describe",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func Describe\(/,
    symbol: "Describe",
    detail: fn(
      "Describe",
      [
        p("e", n("Employee")),
        p("scores", mp(b("string"), b("int"))),
        p("data", sl(b("byte"))),
        p("extra", sl(b("string")), true),
      ],
      [b("string"), b("int")],
      true,
    ),
  },
  {
    id: "stats",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func Stats\(/,
    symbol: "Stats",
    detail: fn(
      "Stats",
      [p("xs", sl(b("float64"))), p("flags", mp(b("bool"), b("string"))), p("ids", mp(n("Celsius"), b("int16")))],
      [mp(b("string"), b("float64")), pt(n("Address"))],
    ),
  },
  {
    id: "fail",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func Fail\(/,
    symbol: "Fail",
    detail: fn("Fail", [p("msg", b("string"))], [], true),
  },
  {
    id: "explode",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func Explode\(/,
    symbol: "Explode",
    detail: fn("Explode", [p("msg", b("string"))], [b("string")]),
  },
  {
    id: "checksum",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func Checksum\(/,
    symbol: "Checksum",
    detail: fn("Checksum", [p("parts", sl(b("byte")), true)], [b("int")]),
  },
  {
    id: "6",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func Nothing\(/,
    symbol: "Nothing",
    detail: fn("Nothing", [], []),
  },
  {
    id: "raise",
    kind: "method",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func \(e Employee\) raise\(/,
    symbol: "Employee.raise",
    detail: {
      ...fn("raise", [p("pct", b("float64"))], [n("Employee")]),
      receiver: { typeName: "Employee", pointer: false },
    },
    receiverName: "e",
  },
  {
    id: "promote",
    kind: "method",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func \(e \*Employee\) Promote\(/,
    symbol: "Employee.Promote",
    detail: {
      ...fn("Promote", [p("title", b("string"))], [b("string")]),
      receiver: { typeName: "Employee", pointer: true },
    },
    receiverName: "e",
  },
  {
    id: "chain",
    kind: "function",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^func Chain\(/,
    symbol: "Chain",
    detail: fn("Chain", [p("n", b("int"))], [pt(n("Employee"))]),
  },
  { id: "counter", kind: "variable", pkg: SHARED, file: "shared/shared.go", decl: /^var Counter /, symbol: "Counter" },
  {
    id: "greeting",
    kind: "const",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^const Greeting /,
    symbol: "Greeting",
  },
  {
    id: "employee-type",
    kind: "type",
    pkg: SHARED,
    file: "shared/shared.go",
    decl: /^type Employee /,
    symbol: "Employee",
  },
  // package main: reached through a copy of the package.
  {
    id: "x.y",
    kind: "function",
    pkg: APP,
    file: "cmd/app/main.go",
    decl: /^func double\(/,
    symbol: "double",
    detail: fn("double", [p("x", b("int"))], [b("int")]),
  },
  {
    id: "x-y",
    kind: "function",
    pkg: APP,
    file: "cmd/app/main.go",
    decl: /^func Greet\(/,
    symbol: "Greet",
    detail: fn("Greet", [p("name", b("string"))], [b("string")]),
  },
  // An internal package.
  {
    id: "square",
    kind: "function",
    pkg: CALC,
    file: "internal/calc/calc.go",
    decl: /^func Square\(/,
    symbol: "Square",
    detail: fn("Square", [p("x", b("float64"))], [b("float64")]),
  },
];

/** 1-based first and last line of the declaration matching `decl`. */
function declLines(text: string, decl: RegExp): { line: number; endLine: number } {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => decl.test(l));
  if (i < 0) throw new Error(`fixture: no declaration matches ${decl}`);
  let end = i;
  if (!/[{(]\s*$/.test(lines[i]!) || /\{\}\s*$/.test(lines[i]!)) return { line: i + 1, endLine: i + 1 };
  while (end < lines.length && !/^[})]/.test(lines[end]!)) end++;
  return { line: i + 1, endLine: end + 1 };
}

function sha256(file: string): string {
  return createHash("sha256")
    .update(readFileSync(join(MOD1, file)))
    .digest("hex");
}

export function mod1Analysis(): AnalysisResult {
  const named = namedTable();
  const fragments: AnalyzedFragment[] = SPECS.map((s) => {
    const text = readFileSync(join(MOD1, s.file), "utf8");
    const { line, endLine } = declLines(text, s.decl);
    const f: AnalyzedFragment = {
      id: s.id,
      language: "go",
      kind: s.kind,
      symbol: s.symbol,
      file: s.file,
      line,
      endLine,
      unit: s.pkg.pkgPath,
      deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
    };
    if (s.detail) {
      const detail: GoFragmentDetail = { pkg: s.pkg, ...s.detail };
      f.detail = detail;
      f.signature = signatureOf(detail, s.receiverName ?? "recv", named);
      f.abi = chooseAbi(f.signature);
    } else {
      f.detail = {
        pkg: s.pkg,
        funcName: s.symbol,
        params: [],
        results: [],
        hasError: false,
      } satisfies GoFragmentDetail;
    }
    return f;
  });
  const detail: GoAnalysisDetail = { module: { path: MOD, dir: "", goVersion: "1.24" }, named };
  const files = ["go.mod", "shared/shared.go", "cmd/app/main.go", "internal/calc/calc.go"];
  return {
    fragments,
    types: recordTable(named),
    diagnostics: [],
    inputs: files.map((file) => ({ file, sha256: sha256(file) })),
    filesParsed: 3,
    detail,
  };
}
