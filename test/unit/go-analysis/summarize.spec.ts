import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseGoMod } from "../../../languages/go/analysis/go-mod.js";
import { goQuery } from "../../../languages/go/analysis/go-parser.js";
import { guessPkgName } from "../../../languages/go/analysis/imports.js";
import { scanImports } from "../../../languages/go/analysis/inputs.js";
import { jsonFieldName } from "../../../languages/go/analysis/map-types.js";
import { declRefs, summarize } from "../../../languages/go/analysis/summarize.js";
import { jsonTag, parseGoInt } from "../../../languages/go/analysis/type-expr.js";
import { projectRoot } from "../../../src/core/paths.js";

describe("languages/go/queries", () => {
  it("every query compiles against tree-sitter-go", () => {
    const dir = join(projectRoot(), "languages", "go", "queries");
    const names = readdirSync(dir).filter((f) => f.endsWith(".scm"));
    expect(names.sort()).toEqual(["declarations.scm", "imports.scm", "references.scm", "tags.scm"]);
    for (const n of names) expect(() => goQuery(n.replace(/\.scm$/, ""))).not.toThrow();
  });
});

const SRC = `package demo

import (
	"fmt"
	str "strings"
	_ "embed"
	. "math"
)

const A, B = 1, 2

var (
	x, y int
	Table = map[string]int{Key: 1}
)

type Pair struct {
	Left  int    \`json:"left,omitempty"\`
	Right string \`db:"r" json:"-"\`
	*Base
}

func (p *Pair) Sum(k int) int {
	total := helper(p.Left) + k
	for _, v := range Table {
		total += v
	}
	q := Pair{Left: total}
	return q.Twice() + len(str.TrimSpace(fmt.Sprint(x)))
}

func Shadow(x int) int { return x + A }
`;

describe("summarize", () => {
  const { summary: s, tree } = summarize(SRC);
  const refsOf = (symbol: string) => declRefs(tree, s.decls.find((d) => d.symbol === symbol)!);

  it("reads the package, imports and top-level declarations", () => {
    expect(s.pkgName).toBe("demo");
    expect(s.imports.map((i) => [i.alias, i.path])).toEqual([
      [undefined, "fmt"],
      ["str", "strings"],
      ["_", "embed"],
      [".", "math"],
    ]);
    expect(s.decls.map((d) => [d.kind, d.symbol, d.line])).toEqual([
      ["const", "A", 10],
      ["const", "B", 10],
      ["variable", "x", 13],
      ["variable", "y", 13],
      ["variable", "Table", 14],
      ["type", "Pair", 17],
      ["method", "Pair.Sum", 23],
      ["function", "Shadow", 32],
    ]);
    expect(s.syntaxError).toBeUndefined();
  });

  it("keeps struct fields with json tags and embedded fields", () => {
    const pair = s.decls.find((d) => d.symbol === "Pair")!;
    expect(pair.type?.k).toBe("struct");
    if (pair.type?.k !== "struct") return;
    expect(pair.type.fields.map((f) => [f.names, f.json])).toEqual([
      [["Left"], "left,omitempty"],
      [["Right"], "-"],
      [[], undefined],
    ]);
    expect(pair.type.fields[2]?.type).toMatchObject({ k: "pointer", elem: { k: "name", name: "Base" } });
  });

  it("collects references without locals, struct-literal keys or declaration names", () => {
    expect(s.decls.find((d) => d.symbol === "Pair.Sum")?.recv).toMatchObject({
      name: "p",
      typeName: "Pair",
      pointer: true,
      generic: false,
    });
    const sum = { refs: refsOf("Pair.Sum") };
    expect(s.decls.every((d) => d.refs === undefined)).toBe(true); // computed on demand only
    expect(sum.refs.idents.sort()).toEqual(["Table", "fmt", "helper", "len", "str", "x"]);
    expect(sum.refs.types.sort()).toEqual(["Pair", "int"]);
    const twice = sum.refs.selectors.find((r) => r.name === "Twice");
    expect(twice).toEqual({
      name: "Twice",
      operand: "q",
      operandLocal: true,
      operandType: expect.objectContaining({ k: "name", name: "Pair" }),
      call: true,
    });
    expect(sum.refs.selectors.find((r) => r.name === "TrimSpace")).toMatchObject({
      operand: "str",
      operandLocal: false,
      call: true,
    });
    expect(sum.refs.selectors.find((r) => r.name === "Left")).toMatchObject({
      operand: "p",
      operandLocal: true,
      call: false,
    });
    // A parameter shadows the package-level var of the same name.
    expect(refsOf("Shadow").idents).toEqual(["A"]);
    // Map literal keys stay references.
    expect(refsOf("Table").idents).toEqual(["Key"]);
  });

  it("scopes locals by block, as Go does", () => {
    const src = `package demo

import version "example.com/go-version"

var limit, count = 3, 0

func traversal(n int) int { return n }

func Scoped(version *version.Version, n int) int {
	if limit := 1; limit > n {
		return limit
	}
	traversal := traversal(n)
	for count := range n {
		_ = count
	}
	return limit + traversal + count
}
`;
    const { summary, tree: t } = summarize(src);
    const refs = declRefs(t, summary.decls.find((d) => d.symbol === "Scoped")!);
    // limit and count are locals in their blocks only; traversal's right-hand side is the function;
    // the parameter \`version\` does not hide the package in its own type.
    expect(refs.idents.sort()).toEqual(["count", "limit", "traversal"]);
    expect(refs.qualTypes).toEqual([{ pkg: "version", name: "Version" }]);
  });

  it("locates the first syntax error", () => {
    expect(summarize("package p\n\nfunc F() {\n\tx := \n}\n").summary.syntaxError).toEqual({
      line: 4,
      col: 6,
      text: "missing identifier",
    });
  });
});

describe("small parsers", () => {
  it("parses go.mod", () => {
    const mod = parseGoMod(
      'module "example.com/m" // c\n\ngo 1.23.1\n\nrequire a.b/c v1.0.0\nrequire (\n\td.e/f v2.0.0 // indirect\n)\n',
      "sub",
    );
    expect(mod).toEqual({ path: "example.com/m", dir: "sub", goVersion: "1.23.1", requires: ["a.b/c", "d.e/f"] });
  });

  it("reads json tags like encoding/json", () => {
    expect(jsonTag('db:"x" json:"name,omitempty"')).toBe("name,omitempty");
    expect(jsonTag('db:"x"')).toBeUndefined();
    expect(jsonFieldName("name,omitempty", "Name")).toBe("name");
    expect(jsonFieldName(",omitempty", "Name")).toBe("Name");
    expect(jsonFieldName("-", "Name")).toBeUndefined();
    expect(jsonFieldName("-,", "Name")).toBe("-");
    expect(jsonFieldName(undefined, "Name")).toBe("Name");
  });

  it("parses Go integer literals", () => {
    expect([
      parseGoInt("1_000"),
      parseGoInt("0x1F"),
      parseGoInt("0o17"),
      parseGoInt("017"),
      parseGoInt("0b101"),
      parseGoInt("1.5"),
    ]).toEqual([1000, 31, 15, 15, 5, undefined]);
  });

  it("names unaliased third-party imports by their path", () => {
    expect(
      ["github.com/google/uuid", "github.com/go-chi/chi/v5", "gopkg.in/yaml.v3", "github.com/mattn/go-sqlite3"].map(
        guessPkgName,
      ),
    ).toEqual(["uuid", "chi", "yaml", "sqlite3"]);
  });

  it("scans imports with a regex, ignoring comments", () => {
    const text = readFileSync(join(projectRoot(), "languages/go/fixtures/analysis/app/payroll/payroll.go"), "utf8");
    expect(scanImports(text)).toEqual(["crypto/sha256", "encoding/hex", "errors", "fmt", "github.com/google/uuid"]);
    expect(
      scanImports('package a\nimport "x/y"\nimport z "p/q"\nimport (\n\t// "no/no"\n\t"r/s" /* "t/u" */\n)\n'),
    ).toEqual(["x/y", "p/q", "r/s"]);
  });
});
