/**
 * Bare method names tied to their receiver through `dependsOn` (the paper's
 * `name: Area, dependsOn: [33]`) resolve the same way in every adapter that
 * has methods: the receiver hints core computes pick one of several methods
 * of that name; without them the name is ambiguous and the message says what
 * to add. (Go: test/unit/go-analysis/diagnostics.spec.ts.)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeAs } from "../../languages/assemblyscript/analysis/analyze-as.js";
import { analyzeRust } from "../../languages/rust/analysis/analyze-rust.js";
import type { AnalyzeFragment, AnalyzeRequest } from "../../src/languages/adapter-types.js";

function repo(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "dcm-receiver-hints-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

function frag(id: string, file: string, hints?: string[]): AnalyzeFragment {
  const pos = { file: "dcm.yaml", line: Number(id), col: 5 };
  return {
    id,
    name: "area",
    runOn: "client",
    file,
    location: { filepath: file },
    positions: { fragment: pos, name: pos },
    ...(hints ? { receiverHints: hints } : {}),
  };
}

const cases: Array<[string, (req: AnalyzeRequest) => Promise<{ fragments: Array<{ id: string; symbol: string }>; diagnostics: Array<{ code: string; fragment?: string; suggestion?: string }> }>, string, Record<string, string>, [string, string]]> = [
  [
    "rust",
    analyzeRust,
    "src/lib.rs",
    {
      "Cargo.toml": '[package]\nname = "shapes"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\npath = "src/lib.rs"\n',
      "src/lib.rs": [
        "pub struct Circle { pub r: f64 }",
        "pub struct Square { pub side: f64 }",
        "impl Circle { pub fn area(&self) -> f64 { 3.0 * self.r * self.r } }",
        "impl Square { pub fn area(&self) -> f64 { self.side * self.side } }",
        "",
      ].join("\n"),
    },
    ["Circle::area", "Square::area"],
  ],
  [
    "assemblyscript",
    analyzeAs,
    "assembly/index.ts",
    {
      "assembly/index.ts": [
        "export class Circle { r: f64 = 0; area(): f64 { return 3.0 * this.r * this.r; } }",
        "export class Square { side: f64 = 0; area(): f64 { return this.side * this.side; } }",
        "",
      ].join("\n"),
    },
    ["Circle.area", "Square.area"],
  ],
];

describe.each(cases)("%s: a bare method name with receiver hints", (_lang, analyze, file, files, [circle, square]) => {
  it("picks the method of the type `dependsOn` names; none or an unrelated hint leaves it ambiguous", async () => {
    const dir = repo(files);
    const r = await analyze({
      repo: dir,
      fragments: [frag("1", file, ["Circle"]), frag("2", file, ["Square"]), frag("3", file), frag("4", file, ["Triangle"])],
    });
    expect(r.fragments.map((f) => [f.id, f.symbol])).toEqual([
      ["1", circle],
      ["2", square],
    ]);
    const ambiguous = r.diagnostics.filter((d) => d.code === "DCM_CFD_SYMBOL_NOT_FOUND");
    expect(ambiguous.map((d) => d.fragment)).toEqual(["3", "4"]);
    expect(ambiguous[0]!.suggestion).toContain("add the receiver type's fragment to `dependsOn`");
  });
});
