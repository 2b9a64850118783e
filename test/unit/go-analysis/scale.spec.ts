/**
 * Files the fragments do not reach are never parsed: filesParsed must not
 * grow with the repository. (Timing lives in bench/, not here.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeGo } from "../../../languages/go/analysis/analyze-go.js";
import { frag } from "./fixture-helpers.js";

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A module with 6 fragments in `app`, their helpers, and `extra` unrelated files (a tenth of them in `app` itself). */
function generate(extra: number): string {
  const root = mkdtempSync(join(tmpdir(), "dcm-go-scale-"));
  roots.push(root);
  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, ".."), { recursive: true });
    writeFileSync(join(root, file), text);
  };
  write("go.mod", "module example.com/big\n\ngo 1.22\n");
  write(
    "app/api.go",
    `package app

import "example.com/big/lib"

func Sum(a, b int) int { return add(a, b) }
func Label(n int) string { return lib.Format(n) + Prefix }
func Count(xs []string) int { return len(xs) + Limit }
`,
  );
  write(
    "app/more.go",
    `package app

import "strings"

type Item struct {
	Name string \`json:"name"\`
}

func Upper(it Item) string { return strings.ToUpper(it.Name) }
func Twice(n int) int { return Sum(n, n) }
func Items(n int) []Item { return make([]Item, n) }
`,
  );
  write(
    "app/helpers.go",
    'package app\n\nfunc add(a, b int) int { return a + b }\n\nvar Prefix = ">"\n\nconst Limit = 3\n',
  );
  write("lib/lib.go", 'package lib\n\nimport "strconv"\n\nfunc Format(n int) string { return strconv.Itoa(n) }\n');
  for (let i = 0; i < extra; i++) {
    const inApp = i % 10 === 0;
    const pkg = inApp ? "app" : `pkg${Math.floor(i / 50)}`;
    const body = `func Unrelated${i}(x int) int {\n\treturn x * ${i}\n}\n\nvar State${i} = ${i}\n`;
    write(`${pkg}/gen${i}.go`, `package ${pkg}\n\n${body}`);
  }
  return root;
}

const fragments = [
  frag(1, "app/api.go", "Sum"),
  frag(2, "app/api.go", "Label"),
  frag(3, "app/api.go", "Count"),
  frag(4, "app/more.go", "Upper"),
  frag(5, "app/more.go", "Twice"),
  frag(6, "app/more.go", "Items"),
];

describe("analysis scale", () => {
  it("parses the same few files in a 100-file and a 2,000-file repository", async () => {
    const small = await analyzeGo({ repo: generate(100), fragments });
    const big = await analyzeGo({ repo: generate(2000), fragments });
    expect(small.diagnostics).toEqual([]);
    expect(big.diagnostics).toEqual([]);
    // api.go, more.go, helpers.go, lib.go.
    expect(small.filesParsed).toBe(4);
    expect(big.filesParsed).toBe(4);
    expect(big.fragments.map((f) => f.deps)).toEqual(small.fragments.map((f) => f.deps));
    expect(big.fragments.find((f) => f.id === "2")?.deps).toEqual({
      fragments: [],
      libs: ["strconv"],
      globalVars: ["Prefix"],
      typeDefs: [],
    });
    expect(big.fragments.find((f) => f.id === "5")?.deps.fragments).toEqual(["1"]);
    expect(big.fragments.find((f) => f.id === "6")?.signature?.results).toEqual([
      { kind: "list", elem: { kind: "record", name: "Item" } },
    ]);
    // Inputs: the app package (with its unrelated files) and lib; never the other packages.
    expect(big.inputs.filter((i) => i.file.startsWith("app/"))).toHaveLength(3 + 200);
    expect(big.inputs.some((i) => i.file.startsWith("pkg"))).toBe(false);
    expect(big.inputs.map((i) => i.file)).toContain("lib/lib.go");
  });
});
