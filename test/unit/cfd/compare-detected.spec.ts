import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Cfd } from "../../../src/cfd/cfd-types.js";
import { compareWithDetected, type DetectedDeps } from "../../../src/cfd/compare-detected.js";
import { loadCfdText } from "../../../src/cfd/load-cfd.js";

const paper = (): Cfd => {
  const text = readFileSync(fileURLToPath(new URL("./fixtures/paper.yaml", import.meta.url)), "utf8");
  return loadCfdText(text, "paper.yaml").cfd!;
};

const deps = (d: Partial<DetectedDeps>): DetectedDeps => ({
  libs: [],
  fragments: [],
  globalVars: [],
  typeDefs: [],
  ...d,
});

describe("compareWithDetected", () => {
  it("is silent when the CFD lists everything detected, or more", () => {
    const detected = new Map([
      ["6", deps({ libs: ["crypto/sha256"] })], // the CFD also lists encoding/hex: fine
      ["21", deps({ fragments: ["6"], globalVars: ["counter"], typeDefs: ["Employee"] })],
    ]);
    expect(compareWithDetected(paper(), detected)).toEqual([]);
  });

  it("names exactly the missing items of each kind, at the list or the fragment", () => {
    const detected = new Map([
      ["6", deps({ libs: ["crypto/sha256", "fmt", "strings", "fmt"], globalVars: ["salt"] })],
      ["21", deps({ fragments: ["6", "21", "99"], globalVars: ["counter", "total"], typeDefs: ["Employee", "Dept"] })],
    ]);
    const diags = compareWithDetected(paper(), detected);
    expect(diags.map((d) => [d.code, d.severity, d.fragment, d.pos?.line, d.pos?.col])).toEqual([
      ["DCM_CFD_MISSING_LIBS", "hint", "6", 6, 11],
      ["DCM_CFD_MISSING_GLOBAL_VAR", "hint", "6", 2, 5],
      ["DCM_CFD_MISSING_GLOBAL_VAR", "hint", "21", 12, 16],
      ["DCM_CFD_MISSING_TYPE_DEF", "hint", "21", 13, 14],
    ]);
    expect(diags[0]!.message).toBe("fragment 6 (GetHash) uses libraries not listed in `libs`: `fmt`, `strings`");
    expect(diags[0]!.suggestion).toBe(
      "add `fmt`, `strings` to `libs`, or run `dcm validate --fix` to write them into the CFD",
    );
    expect(diags[1]!.message).toBe(
      "fragment 6 (GetHash) uses package-level variables not listed in `globalVar`: `salt`",
    );
    expect(diags[2]!.message).toContain(": `total`");
    expect(diags[3]!.suggestion).toBe(
      "add `Dept` to `typeDef`, or run `dcm validate --fix` to write them into the CFD",
    );
  });

  it("DCM_CFD_MISSING_DEPENDS_ON for a CFD fragment the code calls; never itself or ids outside the CFD", () => {
    const detected = new Map([["6", deps({ fragments: ["21", "6", "404"] })]]);
    const diags = compareWithDetected(paper(), detected);
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({
      code: "DCM_CFD_MISSING_DEPENDS_ON",
      severity: "hint",
      fragment: "6",
      message: "fragment 6 (GetHash) uses fragments not listed in `dependsOn`: `21`",
      pos: { line: 2, col: 5 },
    });
    expect(diags[0]!.suggestion).toContain("dcm validate --fix");
  });

  it("ignores detected entries for ids the CFD does not declare", () => {
    expect(compareWithDetected(paper(), new Map([["7", deps({ libs: ["fmt"] })]]))).toEqual([]);
  });
});
