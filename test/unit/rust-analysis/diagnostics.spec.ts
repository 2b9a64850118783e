/**
 * Every construct the Rust adapter refuses (languages/rust/fixtures/refused)
 * gives a diagnostic naming the fragment, the construct and its line; source
 * that does not parse gives DCM_SOURCE_SYNTAX with its line.
 */
import { describe, expect, it } from "vitest";
import { analyzeRust } from "../../../languages/rust/analysis/analyze-rust.js";
import { APP, frag, REFUSED } from "./helpers.js";

async function one(name: string, file = "src/lib.rs", repo = REFUSED) {
  const res = await analyzeRust({ repo, fragments: [frag(name, file, name)] });
  return res;
}

const CASES: Array<[string, string, number, RegExp]> = [
  ["generic", "DCM_UNSUPPORTED_CONSTRUCT", 6, /generic functions cannot be fragments/],
  ["trait_object", "DCM_UNSUPPORTED_CONSTRUCT", 10, /trait objects/],
  ["impl_trait", "DCM_UNSUPPORTED_CONSTRUCT", 14, /trait objects/],
  ["lifetimes", "DCM_UNSUPPORTED_CONSTRUCT", 18, /lifetimes/],
  ["closure", "DCM_UNSUPPORTED_CONSTRUCT", 22, /closures and function pointers/],
  ["area", "DCM_UNSUPPORTED_CONSTRUCT", 27, /variant with data \(`Circle`/],
  ["raw", "DCM_UNSUPPORTED_CONSTRUCT", 38, /raw pointers/],
  ["later", "DCM_UNSUPPORTED_CONSTRUCT", 42, /async functions/],
  ["size", "DCM_UNSUPPORTED_TYPE", 46, /`usize` is 32 bits on wasm32 and 64 bits on x86_64/],
  ["pair", "DCM_UNSUPPORTED_CONSTRUCT", 50, /tuple struct `Pair`/],
  ["missing", "DCM_TYPE_NOT_FOUND", 56, /type `Unknown`/],
  ["char_type", "DCM_UNSUPPORTED_TYPE", 60, /`char` has no value-model type/],
];

describe("rust analysis: refused constructs", () => {
  for (const [name, code, line, message] of CASES) {
    // A type that cannot be found is an error; what cannot cross only keeps the fragment from being called.
    const crossing = code !== "DCM_TYPE_NOT_FOUND";
    it(`${name}: ${crossing ? "cannot cross" : code} at line ${line}`, async () => {
      const res = await one(name);
      expect(res.fragments[0]!.signature).toBeUndefined();
      if (crossing) {
        expect(res.diagnostics).toEqual([]);
        const p = res.fragments[0]!.cannotCross?.[0];
        expect(p, JSON.stringify(res.fragments[0])).toBeDefined();
        expect(p!.pos).toMatchObject({ file: "src/lib.rs", line });
        expect(p!.what).toMatch(message);
        return;
      }
      const d = res.diagnostics.find((x) => x.code === code);
      expect(d, JSON.stringify(res.diagnostics)).toBeDefined();
      expect(d!.fragment).toBe(name);
      expect(d!.pos).toMatchObject({ file: "src/lib.rs", line });
      expect(d!.message).toMatch(message);
      expect(d!.message).toContain(`fragment \`${name}\``);
      expect(d!.message).toMatch(new RegExp(`(line |\\.rs:)${line}\\b`));
    });
  }

  it("refuses a generic function once: its type parameters are not also reported as unknown types", async () => {
    const res = await one("generic");
    expect(res.diagnostics).toEqual([]);
    expect(res.fragments[0]!.cannotCross?.map((p) => p.what)).toEqual([expect.stringMatching(/generic functions/)]);
  });

  it("suggests u32/u64 for usize", async () => {
    const res = await one("size");
    const fixes = (res.fragments[0]!.cannotCross ?? []).map((p) => p.suggestion).join(" ");
    expect(fixes).toMatch(/u32 or u64/);
    expect(fixes).toMatch(/i32 or i64/);
  });

  it("reports a syntax error with its line, for the file the fragment needs", async () => {
    const res = await one("fine", "src/broken.rs");
    const d = res.diagnostics.find((x) => x.code === "DCM_SOURCE_SYNTAX");
    expect(d).toMatchObject({ fragment: "fine", pos: { file: "src/broken.rs", line: 6 } });
    expect(d!.message).toMatch(/src\/broken\.rs does not parse/);
  });

  it("does not parse files the fragments do not reach", async () => {
    const res = await one("generic");
    expect(res.filesParsed).toBe(1);
    expect(res.diagnostics.some((d) => d.code === "DCM_SOURCE_SYNTAX")).toBe(false);
  });

  it("names unknown symbols with a suggestion, and kind mismatches", async () => {
    const res = await analyzeRust({ repo: APP, fragments: [frag("x", "src/lib.rs", "grete"), frag("y", "src/lib.rs", "add", { kind: "const" })] });
    expect(res.diagnostics[0]).toMatchObject({ code: "DCM_CFD_SYMBOL_NOT_FOUND", suggestion: "did you mean `greet`?" });
    expect(res.diagnostics[1]).toMatchObject({ code: "DCM_CFD_KIND_MISMATCH", fragment: "y" });
  });

  it("needs a Cargo.toml", async () => {
    const res = await analyzeRust({ repo: FIXLESS, fragments: [frag("x", "a.rs", "f")] });
    expect(res.diagnostics[0]!.message).toMatch(/no Cargo\.toml/);
  });
});

const FIXLESS = "/tmp";
