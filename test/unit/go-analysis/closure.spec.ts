/**
 * The module-wide closure (languages/go/analysis/closure.ts) on
 * test/unit/go-generate/fixtures/prune: what each rule keeps, by name.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { findDecl, moduleClosure } from "../../../languages/go/analysis/closure.js";
import { GoModFinder } from "../../../languages/go/analysis/go-mod.js";
import { TypeMapper } from "../../../languages/go/analysis/map-types.js";
import { GoWorkspace } from "../../../languages/go/analysis/workspace.js";

const REPO = fileURLToPath(new URL("../go-generate/fixtures/prune", import.meta.url));

/** Kept declarations as `dir: name@file` (methods as Type.Method), sorted. */
function closureOf(...roots: Array<[file: string, symbol: string]>) {
  const ws = new GoWorkspace(REPO);
  const mapper = new TypeMapper(ws, new GoModFinder(REPO));
  const found = roots.map(([file, symbol]) => findDecl(ws, file, symbol)!);
  const c = moduleClosure(ws, mapper, found);
  const kept: string[] = [];
  for (const p of c.packages.values()) {
    for (const [file, decls] of p.files) for (const d of decls) kept.push(`${d.symbol}@${file}`);
  }
  return { kept: kept.sort(), closure: c };
}

describe("moduleClosure", () => {
  test("references across files and packages, var specs whole, init by the variables it sets", () => {
    const { kept, closure } = closureOf(["app/app.go", "Sum"]);
    expect(kept).toEqual(
      [
        "Sum@app/app.go",
        "Box@app/app.go",
        "a@app/app.go",
        // b and c are one spec
        "b@app/app.go",
        "c@app/app.go",
        "pair@app/app.go",
        "counter@app/app.go",
        // the init that sets counter; not the one that prints
        "init@app/app.go",
        "Twice@lib/lib.go",
      ].sort(),
    );
    expect([...closure.packages.keys()].sort()).toEqual(["app", "lib"]);
    expect(
      closure.packages
        .get("app")!
        .files.get("app/app.go")!
        .filter((d) => d.name === "init"),
    ).toHaveLength(1);
  });

  test("a const keeps its group, a type all its methods, a method its type", () => {
    expect(closureOf(["app/app.go", "High"]).kept).toEqual(
      [
        "High@app/app.go",
        "Low@app/app.go",
        "Mid@app/app.go",
        "Level@app/app.go",
        "Level.String@app/level.go",
        "Level.Next@app/level.go",
      ].sort(),
    );
    expect(closureOf(["app/level.go", "Level.Next"]).kept).toContain("Level.String@app/level.go");
  });

  test("every build variant of a name, and whole files for dot imports", () => {
    const { kept, closure } = closureOf(["app/app.go", "Describe"], ["app/dot.go", "Shout"]);
    expect(kept).toContain("platform@app/os_other.go");
    expect(kept).toContain("platform@app/os_wasip1.go");
    // whisper is reached by nothing, but dot.go has a dot import: kept whole.
    expect(kept).toContain("whisper@app/dot.go");
    expect([...closure.packages.get("app")!.wholeFiles]).toEqual(["app/dot.go"]);
    expect(kept).not.toContain("Env@app/unused.go");
  });
});
