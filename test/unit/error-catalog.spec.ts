import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CATALOG } from "../../runtime/diagnostics/catalog.js";

const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
const documented = [...doc.matchAll(/^### (DCM_[A-Z0-9_]+)$/gm)].map((m) => m[1]);

describe("error catalog and docs/errors.md", () => {
  it("documents every code in the catalog", () => {
    const missing = Object.keys(CATALOG).filter((c) => !documented.includes(c));
    expect(missing, "codes missing from docs/errors.md (run `node build/src/diagnostics/write-errors-doc.js`)").toEqual([]);
  });

  it("documents no code that the catalog lacks", () => {
    expect(documented.filter((c) => !(c in CATALOG))).toEqual([]);
  });

  it("gives every code a fix that says what to do", () => {
    for (const [code, entry] of Object.entries(CATALOG)) {
      expect(entry.fix.length, code).toBeGreaterThan(10);
      expect(entry.title.length, code).toBeGreaterThan(10);
    }
  });
});

describe("codes used in the code", () => {
  it("are all in the catalog", async () => {
    const { readdirSync, statSync } = await import("node:fs");
    const { join } = await import("node:path");
    const root = new URL("../..", import.meta.url).pathname;
    const used = new Set<string>();
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (name === "fixtures" || name === "node_modules") continue;
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith(".ts")) for (const m of readFileSync(p, "utf8").matchAll(/"(DCM_[A-Z0-9_]+)"/g)) used.add(m[1]!);
      }
    };
    for (const dir of ["src", "runtime", "languages", "toolchains"]) walk(join(root, dir));
    expect([...used].filter((c) => !(c in CATALOG))).toEqual([]);
  });
});
