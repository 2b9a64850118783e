/**
 * Which package vars the Go analysis takes for state (languages/go/analysis/state.ts):
 * each way of writing a var, what is not a write (reads, locals that shadow
 * a var, method calls on a stdlib mutex, init()), writes in another package
 * of the module, vars reached only through helpers, and the encoding checks.
 * Each case is a small repository written to a temporary folder.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeGo } from "../../../languages/go/analysis/analyze-go.js";
import type { AnalysisResult } from "../../../src/languages/adapter-types.js";
import { frag } from "./fixture-helpers.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function analyze(files: Record<string, string>, names: string[]): Promise<AnalysisResult> {
  const repo = mkdtempSync(join(tmpdir(), "dcm-go-state-"));
  dirs.push(repo);
  writeFileSync(join(repo, "go.mod"), "module example.com/s\n\ngo 1.24\n");
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    writeFileSync(join(repo, file), text);
  }
  const fragments = names.map((name, i) => frag(i + 1, "p/p.go", name));
  return analyzeGo({ repo, fragments });
}

/** Fragment name -> the var names (last key segment) its state lists. */
function stateByName(r: AnalysisResult, names: string[]): Record<string, string[]> {
  return Object.fromEntries(
    r.fragments.map((f) => [names[Number(f.id) - 1]!, (f.state ?? []).map((k) => k.slice(k.lastIndexOf(".") + 1))]),
  );
}

describe("Go state vars", () => {
  it("finds every kind of write and nothing that is only read", async () => {
    const src = `package p

import "sync"

type Bag struct{ Items []string }

func (b *Bag) Add(s string) { b.Items = append(b.Items, s) }
func (b Bag) Len() int      { return len(b.Items) }

var (
	a, b       int
	c          = map[string]int{}
	d          []int
	e          Bag
	f          Bag
	g          int64
	h          = [4]int{}
	readOnly   = 3
	mu         sync.Mutex
	shadowed   int
	fromInit   int
	addr       int32
	del        = map[int]bool{}
)

func init() { fromInit = 1 }

func Assign() int       { a = 1; return readOnly }
func OpAssign()         { b += 2 }
func IndexAssign()      { c["k"] = 1 }
func AppendTo()         { d = append(d, 1) }
func FieldAssign()      { e.Items = nil }
func PointerMethod()    { f.Add("x") }
func ValueMethod() int  { return f.Len() }
func IncDec()           { g++ }
func ArrayElem()        { h[2] = 1 }
func Locked()           { mu.Lock(); mu.Unlock() }
func Shadow() int       { shadowed := 1; shadowed++; return shadowed }
func ReadInit() int     { return fromInit }
func AddressOf() *int32 { return &addr }
func Delete()           { delete(del, 1) }
`;
    const names = [
      "Assign",
      "OpAssign",
      "IndexAssign",
      "AppendTo",
      "FieldAssign",
      "PointerMethod",
      "ValueMethod",
      "IncDec",
      "ArrayElem",
      "Locked",
      "Shadow",
      "ReadInit",
      "AddressOf",
      "Delete",
    ];
    const r = await analyze({ "p/p.go": src }, names);
    expect(stateByName(r, names)).toEqual({
      Assign: ["a"],
      OpAssign: ["b"],
      IndexAssign: ["c"],
      AppendTo: ["d"],
      FieldAssign: ["e"],
      PointerMethod: ["f"],
      ValueMethod: ["f"], // reads a var another fragment changes
      IncDec: ["g"],
      ArrayElem: ["h"],
      Locked: [],
      Shadow: [],
      ReadInit: [], // written only by init(), which both sides run
      AddressOf: ["addr"],
      Delete: ["del"],
    });
    const types = Object.fromEntries((r.stateVars ?? []).map((v) => [v.name, v.type]));
    expect(types.c).toEqual({ kind: "map", key: { kind: "string" }, value: { kind: "int", bits: 64, signed: true } });
    expect(types.h).toEqual({ kind: "array", elem: { kind: "int", bits: 64, signed: true }, length: 4 });
    expect(types.e).toEqual({ kind: "record", name: "Bag" });
  });

  it("follows helpers and other packages of the module", async () => {
    const r = await analyze(
      {
        "p/p.go": `package p

import "example.com/s/store"

func Put(s string) int { return store.Save(s) }
func Count() int       { return len(store.Names) }
func Reset()           { store.Names = nil }
`,
        "store/store.go": `package store

var Names []string

func Save(s string) int { return save(s) }

func save(s string) int {
	Names = append(Names, s)
	return len(Names)
}
`,
      },
      ["Put", "Count", "Reset"],
    );
    expect(r.fragments.map((f) => f.state)).toEqual([
      ["example.com/s/store.Names"],
      ["example.com/s/store.Names"],
      ["example.com/s/store.Names"],
    ]);
    expect(r.stateVars?.[0]).toMatchObject({
      unit: "example.com/s/store",
      pos: { file: "store/store.go", line: 3, col: 5 },
    });
  });

  it("refuses vars that cannot be snapshotted, at the var, with a suggestion", async () => {
    const src = `package p

import "os"

type secret struct{ N int }

type Half struct {
	Shown  int
	hidden int
}

var (
	fn    func() int
	file  *os.File
	iface any
	priv  secret
	half  Half
	guess = compute()
)

func compute() int { return 1 }

func Touch() {
	fn = nil
	file = nil
	iface = 1
	priv.N = 1
	half.Shown = 1
	guess = 2
}
`;
    const r = await analyze({ "p/p.go": src }, ["Touch"]);
    const refused = Object.fromEntries((r.stateVars ?? []).map((v) => [v.name, v.cannotEncode]));
    expect(Object.keys(refused).sort()).toEqual(["file", "fn", "guess", "half", "iface", "priv"]);
    for (const [name, c] of Object.entries(refused)) {
      expect(c, name).toBeDefined();
      expect(c!.pos.file).toBe("p/p.go");
      expect(c!.suggestion, name).toBeTruthy();
    }
    expect(refused.fn).toMatchObject({ pos: { line: 13, col: 2 }, what: expect.stringMatching(/func/) });
    expect(refused.file?.what).toMatch(/standard library/);
    expect(refused.half?.what).toMatch(/field `hidden`/);
    expect(refused.priv?.what).toMatch(/unexported type `secret` used in a state variable/);
    expect(refused.iface?.what).toMatch(/interface/);
    expect(refused.guess?.suggestion).toMatch(/var guess T/);
    // The analysis itself reports no error: core decides (DCM_STATE_NOT_ENCODABLE unless `stateful: false`).
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  });
});
