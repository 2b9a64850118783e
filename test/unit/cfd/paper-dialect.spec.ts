/**
 * The CFDs the paper was evaluated on, verbatim (fixtures/paper/CFD_wire.yaml,
 * CFD_terraform.yaml) and the web server example in the same dialect: they
 * load with no diagnostic, mean what the paper means (flags, optional runOn,
 * aliased libs, integer ids), and `--fix` writes back in their own dialect.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compareWithDetected, type DetectedDeps } from "../../../src/cfd/compare-detected.js";
import { fixCfdText } from "../../../src/cfd/fix-cfd.js";
import { parseLib } from "../../../src/cfd/libs.js";
import { loadCfdText } from "../../../src/cfd/load-cfd.js";
import { narrowByReceiver } from "../../../src/languages/kit/receiver-hints.js";

const paper = (name: string) =>
  readFileSync(fileURLToPath(new URL(`./fixtures/paper/${name}`, import.meta.url)), "utf8");
const deps = (d: Partial<DetectedDeps>): DetectedDeps => ({
  libs: [],
  fragments: [],
  globalVars: [],
  typeDefs: [],
  ...d,
});
const PAPER = ["CFD_wire.yaml", "CFD_terraform.yaml", "CFD_webserver.yaml"];

describe("the paper's CFDs load unchanged", () => {
  it.each(PAPER)("%s: no diagnostic", (name) => {
    const { cfd, diagnostics } = loadCfdText(paper(name), name);
    expect(diagnostics).toEqual([]);
    expect(cfd).not.toBeNull();
  });

  it("wire: `typeDef: true` flags, integer ids from 0, methods by bare name, runOn only on entry points", () => {
    const cfd = loadCfdText(paper("CFD_wire.yaml"), "w.yaml").cfd!;
    expect(cfd.fragments.map((f) => [f.id, f.name, f.runOn ?? null, f.typeDefFlag ?? null, f.dependsOn ?? null])).toEqual([
      ["0", "wireErr", null, true, null],
      ["1", "Error", "client", null, ["0"]],
      ["2", "ProviderSetID", null, true, null],
      ["3", "String", "client", null, ["2"]],
      ["4", "Injector", null, true, null],
      ["5", "String", "client", null, ["4"]],
    ]);
    // The flag is not the list form: the fragment *is* a type, it lists none.
    expect(cfd.fragments[0]!.typeDef).toBeUndefined();
    expect(cfd.fragments[0]!.libs).toEqual(["go/token"]);
  });

  it("terraform: `globalVar: true` flags and a method depending on five fragments", () => {
    const cfd = loadCfdText(paper("CFD_terraform.yaml"), "t.yaml").cfd!;
    expect(cfd.fragments.filter((f) => f.globalVarFlag).map((f) => f.name)).toEqual([
      "_Status_name_0",
      "_Status_name_1",
      "_Status_name_2",
      "_Status_index_1",
    ]);
    expect(cfd.fragments.find((f) => f.id === "1")!.typeDefFlag).toBe(true);
    expect(cfd.fragments.find((f) => f.id === "6")).toMatchObject({
      name: "String",
      runOn: "client",
      dependsOn: ["1", "2", "3", "4", "5"],
      libs: ["strconv"],
    });
  });

  it("web server: dependencies without runOn, an aliased lib, and a dependsOn cycle between a type and its method", () => {
    const cfd = loadCfdText(paper("CFD_webserver.yaml"), "ws.yaml").cfd!;
    expect(cfd.fragments).toHaveLength(40);
    expect(cfd.fragments.filter((f) => !f.runOn).map((f) => f.name)).toEqual(["getNumberTwo", "visits"]);
    const area = cfd.fragments.find((f) => f.id === "34")!;
    expect(area.libs).toEqual(["mathematics math"]);
    expect(parseLib(area.libs![0]!)).toEqual({ alias: "mathematics", path: "math" });
    expect(area.dependsOn).toEqual(["33"]);
    expect(cfd.fragments.find((f) => f.id === "33")!.dependsOn).toEqual(["34"]);
  });
});

describe("flags and libs: what is refused", () => {
  it("a flag that is neither a boolean nor a list says both forms", () => {
    const { cfd, diagnostics } = loadCfdText(
      "fragments:\n  - { id: 0, name: T, location: { filepath: a.go }, typeDef: yes }\n",
      "f.yaml",
    );
    expect(cfd).toBeNull();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: "DCM_CFD_INVALID_VALUE",
      message:
        "`typeDef` must be `true` (the fragment is a type declaration) or a list of the types it uses, not `yes`",
      pos: { line: 2, col: 62 },
    });
    expect(diagnostics[0]!.suggestion).toBe(
      "write `typeDef: true` if the fragment is a type declaration, or `typeDef: [a, b]` to list the types it uses",
    );
  });

  it("both flags on one fragment", () => {
    const { diagnostics } = loadCfdText(
      "fragments:\n  - { id: 0, name: T, location: { filepath: a.go }, globalVar: true, typeDef: true }\n",
      "f.yaml",
    );
    expect(diagnostics.map((d) => [d.code, d.fragment])).toEqual([["DCM_CFD_INVALID_VALUE", "0"]]);
    expect(diagnostics[0]!.message).toContain("both `globalVar: true` and `typeDef: true`");
  });

  it("a libs entry of more than an alias and a path, at the entry", () => {
    const { diagnostics } = loadCfdText(
      "fragments:\n  - { id: 0, name: F, location: { filepath: a.go }, libs: [fmt, a b c] }\n",
      "f.yaml",
    );
    expect(diagnostics.map((d) => [d.code, d.pos?.col])).toEqual([["DCM_CFD_INVALID_VALUE", 65]]);
    expect(diagnostics[0]!.message).toContain("`libs` entry 2 (`a b c`)");
  });

  it("id 0 is an id like any other (nothing treats it as missing)", () => {
    const { cfd, diagnostics } = loadCfdText(
      "fragments:\n  - { id: 0, name: A, location: { filepath: a.go } }\n  - { id: 1, name: B, dependsOn: [0], location: { filepath: a.go } }\n",
      "z.yaml",
    );
    expect(diagnostics).toEqual([]);
    expect(cfd!.fragments.map((f) => [f.id, f.dependsOn])).toEqual([
      ["0", undefined],
      ["1", ["0"]],
    ]);
  });

  it("a CFD with errors still hands on the fragments it could read, for the file and symbol checks", () => {
    const r = loadCfdText(
      [
        "fragments:",
        "  - { id: 0, name: A, runOn: clinet, location: { filepath: a.go } }",
        "  - { id: 1, name: B, locaton: { filepath: b.go } }",
        "  - { id: 2, name: C, location: { filepath: c.go }, dependsOn: [9] }",
        "  - { id: 2, name: D, location: { filepath: d.go } }",
      ].join("\n"),
      "e.yaml",
    );
    expect(r.cfd).toBeNull();
    expect(r.diagnostics.map((d) => d.code)).toEqual([
      "DCM_CFD_INVALID_RUNON",
      "DCM_CFD_UNKNOWN_KEY",
      "DCM_CFD_UNKNOWN_DEPENDENCY",
      "DCM_CFD_DUPLICATE_ID",
    ]);
    // No location for 1, and the second id 2 is a duplicate: the rest is checked against the code.
    expect(r.partial!.fragments.map((f) => [f.id, f.name, f.location.filepath])).toEqual([
      ["0", "A", "a.go"],
      ["2", "C", "c.go"],
    ]);
  });
});

describe("comparing with what the code uses, in the CFD's dialect", () => {
  const web = () => loadCfdText(paper("CFD_webserver.yaml"), "ws.yaml").cfd!;

  it("`mathematics math` lists `math`; an alias that differs from the file's is a hint", () => {
    expect(compareWithDetected(web(), new Map([["34", deps({ libs: ["math"], libAliases: { math: "mathematics" } })]]))).toEqual(
      [],
    );
    const d = compareWithDetected(web(), new Map([["34", deps({ libs: ["math"], libAliases: { math: "m" } })]]));
    expect(d.map((x) => [x.code, x.severity, x.message, x.suggestion])).toEqual([
      [
        "DCM_CFD_LIB_ALIAS",
        "hint",
        "fragment 34 (Area) lists `mathematics math`, but its file imports `math` as `m`",
        "write `m math` in `libs`",
      ],
    ]);
    const plain = compareWithDetected(web(), new Map([["34", deps({ libs: ["math"] })]]));
    expect(plain.map((x) => x.message)).toEqual([
      "fragment 34 (Area) lists `mathematics math`, but its file imports `math` without an alias",
    ]);
  });

  it("never asks for globalVar/typeDef lists in a CFD that uses them as flags; dependsOn and libs still count", () => {
    const d = compareWithDetected(
      web(),
      new Map([["12", deps({ libs: ["fmt"], fragments: ["13", "20"], globalVars: ["NumberSix"], typeDefs: ["Mentor"] })]]),
    );
    expect(d.map((x) => x.code)).toEqual(["DCM_CFD_MISSING_LIBS", "DCM_CFD_MISSING_DEPENDS_ON"]);
    expect(d[1]!.message).toContain("`20`");
  });
});

describe("--fix writes in the CFD's own dialect", () => {
  it("wire: booleans stay booleans, no list forms of globalVar/typeDef, new libs and ids as the file writes them", () => {
    const text = paper("CFD_wire.yaml");
    const detected = new Map([
      ["0", deps({ libs: ["go/token"], typeDefs: ["wireErr"] })],
      ["1", deps({ libs: ["fmt"], fragments: ["0"], typeDefs: ["wireErr"] })],
      ["3", deps({ libs: ["strconv"], fragments: ["2", "4"], globalVars: ["x"] })],
      ["5", deps({ libs: ["strconv", "go/types"], fragments: ["4"], libAliases: { "go/types": "gotypes" } })],
    ]);
    const fixed = fixCfdText(text, detected);
    expect(fixed).toBe(`fragments:
  - id: 0
    name: wireErr
    typeDef: true
    libs: [go/token]
    location: { filepath: internal/wire/errors.go }
  - id: 1
    name: Error
    runOn: client
    dependsOn: [0]
    location: { filepath: internal/wire/errors.go }
    libs: [fmt]
  - id: 2
    name: ProviderSetID
    typeDef: true
    location: { filepath: internal/wire/parse.go }
  - id: 3
    name: String
    runOn: client
    dependsOn: [2, 4]
    libs: [strconv]
    location: { filepath: internal/wire/parse.go}
  - id: 4
    name: Injector
    typeDef: true
    location: { filepath: internal/wire/parse.go }
  - id: 5
    name: String
    runOn: client
    dependsOn: [4]
    libs: [strconv, gotypes go/types]
    location: { filepath: internal/wire/parse.go}
`);
    expect(fixed).not.toMatch(/typeDef: \[|globalVar: \[/);
    expect(fixCfdText(fixed, detected)).toBe(fixed);
  });

  it.each(PAPER)("%s: a second run changes nothing, comments stay, flags stay flags", (name) => {
    const text = paper(name);
    const cfd = loadCfdText(text, name).cfd!;
    const ids = cfd.fragments.map((f) => f.id);
    const detected = new Map(
      ids.map((id) => [
        id,
        deps({
          libs: ["fmt", "math"],
          fragments: ids.slice(0, 3),
          globalVars: ["g"],
          typeDefs: ["T"],
          libAliases: { math: "mathematics" },
        }),
      ]),
    );
    const fixed = fixCfdText(text, detected);
    expect(fixed).not.toMatch(/typeDef: \[|globalVar: \[|typeDef:\n|globalVar:\n/);
    for (const line of text.split("\n").filter((l) => /#|: true$/.test(l))) expect(fixed).toContain(line);
    // `mathematics math` already lists math: no second `math`, no plain `math` next to it.
    for (const f of loadCfdText(fixed, name).cfd!.fragments) {
      const paths = (f.libs ?? []).map((l) => parseLib(l)!.path);
      expect(new Set(paths).size, `${f.id}: ${f.libs}`).toBe(paths.length);
    }
    expect(fixed).toMatch(/libs: \[.*mathematics math/);
    expect(compareWithDetected(loadCfdText(fixed, name).cfd!, detected).filter((d) => d.code !== "DCM_CFD_LIB_ALIAS")).toEqual([]);
    expect(fixCfdText(fixed, detected)).toBe(fixed);
  });
});

describe("narrowByReceiver (src/languages/kit)", () => {
  const methods = [
    { symbol: "Circle.Area", recv: "Circle" },
    { symbol: "Rectangle.Area", recv: "Rectangle" },
  ];
  it("keeps the methods whose receiver the hints name; hints that name none change nothing", () => {
    expect(narrowByReceiver(methods, ["Circle"], (m) => m.recv).map((m) => m.symbol)).toEqual(["Circle.Area"]);
    expect(narrowByReceiver(methods, ["IShape", "Rectangle", "Circle"], (m) => m.recv)).toHaveLength(2);
    expect(narrowByReceiver(methods, ["getArea"], (m) => m.recv)).toHaveLength(2);
    expect(narrowByReceiver(methods, undefined, (m) => m.recv)).toHaveLength(2);
  });
});
