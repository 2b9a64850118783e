import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadCfdFile, loadCfdText } from "../../../src/cfd/load-cfd.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";

const fixturePath = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const load = (name: string) => loadCfdText(readFileSync(fixturePath(name), "utf8"), name);

/** The parts of a diagnostic a user reads: where, which code, what it says, what to do. */
const brief = (d: Diagnostic) => ({
  code: d.code,
  line: d.pos?.line,
  col: d.pos?.col,
  message: d.message,
  suggestion: d.suggestion,
});

describe("loadCfdText: the paper's format", () => {
  it("loads the paper's example with integer ids, normalised to strings", () => {
    const { cfd, diagnostics } = load("paper.yaml");
    expect(diagnostics).toEqual([]);
    expect(cfd?.file).toBe("paper.yaml");
    const [hash, employee] = cfd!.fragments;
    expect(hash).toMatchObject({
      id: "6",
      name: "GetHash",
      runOn: "client",
      location: { filepath: "shared/shared.go" },
      libs: ["crypto/sha256", "encoding/hex"],
    });
    expect(employee).toMatchObject({
      id: "21",
      name: "CreateEmployee",
      runOn: "client",
      dependsOn: ["6"],
      location: { filepath: "shared/employee.go", start: 10, end: 30 },
      globalVar: ["counter"],
      typeDef: ["Employee"],
    });
  });

  it("records the position of the item, of each value, and of each list element", () => {
    const employee = load("paper.yaml").cfd!.fragments[1]!;
    const p = employee.positions;
    expect(p.fragment).toEqual({ file: "paper.yaml", line: 7, col: 5 });
    expect(p.id).toMatchObject({ line: 7, col: 9 });
    expect(p.runOn).toMatchObject({ line: 9, col: 12 });
    expect(p.dependsOn).toMatchObject({ line: 10, col: 16 });
    expect(p["dependsOn.0"]).toMatchObject({ line: 10, col: 17 });
    expect(p.location).toMatchObject({ line: 11, col: 15 });
    expect(p["location.filepath"]).toMatchObject({ line: 11, col: 27 });
    expect(p["location.start"]).toMatchObject({ line: 11, col: 54 });
    expect(p["location.end"]).toMatchObject({ line: 11, col: 63 });
    expect(p["globalVar.0"]).toMatchObject({ line: 12, col: 18 });
    expect(p["typeDef.0"]).toMatchObject({ line: 13, col: 16 });
  });

  it("defaults a string id's name to the id and applies root defaults", () => {
    const { cfd, diagnostics } = loadCfdText(
      [
        "defaults: { runOn: server, language: go }",
        "fragments:",
        "  - id: GetHash",
        "    location: { filepath: shared/shared.go }",
        "  - id: Create",
        "    name: CreateEmployee",
        "    runOn: client",
        "    language: go2",
        "    dependsOn: [GetHash]",
        "    kind: function",
        "    idempotent: false",
        "    stateful: true",
        "    location: { filepath: shared/employee.go }",
      ].join("\n"),
      "x.yaml",
    );
    expect(diagnostics).toEqual([]);
    expect(cfd!.defaults).toEqual({ runOn: "server", language: "go" });
    expect(cfd!.fragments[0]).toMatchObject({ id: "GetHash", name: "GetHash", runOn: "server", language: "go" });
    expect(cfd!.fragments[0]!.positions.runOn).toBeUndefined();
    expect(cfd!.fragments[1]).toMatchObject({
      id: "Create",
      name: "CreateEmployee",
      runOn: "client",
      language: "go2",
      dependsOn: ["GetHash"],
      kind: "function",
      idempotent: false,
      stateful: true,
    });
  });

  it("reads `group:` names and refuses a group that is not a name, at its position", () => {
    const { cfd, diagnostics } = loadCfdText(
      "fragments:\n  - { id: add, runOn: server, group: cart, location: { filepath: a.go } }\n  - { id: get, runOn: client, group: 7, location: { filepath: a.go } }\n",
      "x.yaml",
    );
    expect(diagnostics).toEqual([]);
    expect(cfd!.fragments.map((f) => f.group)).toEqual(["cart", "7"]);
    const bad = loadCfdText("fragments:\n  - id: add\n    group: [a, b]\n    location: { filepath: a.go }\n", "x.yaml");
    expect(bad.diagnostics).toMatchObject([
      { code: "DCM_CFD_INVALID_VALUE", pos: { file: "x.yaml", line: 3, col: 12 } },
    ]);
    expect(bad.diagnostics[0]!.message).toContain("`group`");
    expect(bad.diagnostics[0]!.suggestion).toContain("group: cart");
  });

  it('treats a quoted "6" and an integer 6 as the same id', () => {
    const { cfd, diagnostics } = loadCfdText(
      'fragments:\n  - { id: "6", name: A, runOn: client, location: { filepath: a.go } }\n  - { id: 7, name: B, runOn: client, dependsOn: [6], location: { filepath: b.go } }\n',
      "x.yaml",
    );
    expect(diagnostics).toEqual([]);
    expect(cfd!.fragments.map((f) => [f.id, f.dependsOn])).toEqual([
      ["6", undefined],
      ["7", ["6"]],
    ]);
  });
});

describe("loadCfdText: diagnostics", () => {
  it("DCM_CFD_YAML_SYNTAX: reports the YAML library's position and does not throw", () => {
    const { cfd, diagnostics } = load("syntax-error.yaml");
    expect(cfd).toBeNull();
    expect(diagnostics.map(brief)).toEqual([
      {
        code: "DCM_CFD_YAML_SYNTAX",
        line: 6,
        col: 3,
        message: "Flow map in block collection must be sufficiently indented and end with a }",
        suggestion: "Correct the YAML syntax at the reported position.",
      },
    ]);
    expect(diagnostics[0]!.pos!.file).toBe("syntax-error.yaml");
  });

  it("DCM_CFD_YAML_SYNTAX: a tab used as indentation", () => {
    const { cfd, diagnostics } = loadCfdText("fragments:\n  - id: 6\n\tname: GetHash\n", "t.yaml");
    expect(cfd).toBeNull();
    expect(diagnostics[0]).toMatchObject({ code: "DCM_CFD_YAML_SYNTAX", pos: { line: 3, col: 1 } });
    expect(diagnostics[0]!.message).toContain("Tabs");
  });

  it("DCM_CFD_NOT_FOUND: an unreadable path", async () => {
    const { cfd, diagnostics } = await loadCfdFile("/no/such/dir/cfd.yaml");
    expect(cfd).toBeNull();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]!.code).toBe("DCM_CFD_NOT_FOUND");
    expect(diagnostics[0]!.message).toContain("/no/such/dir/cfd.yaml");
    expect(diagnostics[0]!.message).toContain("ENOENT");
  });

  it("loadCfdFile reads a file from disk", async () => {
    const { cfd, diagnostics } = await loadCfdFile(fixturePath("paper.yaml"));
    expect(diagnostics).toEqual([]);
    expect(cfd!.fragments.map((f) => f.id)).toEqual(["6", "21"]);
    expect(cfd!.fragments[0]!.positions.fragment.file).toBe(fixturePath("paper.yaml"));
  });

  it("DCM_CFD_NO_FRAGMENTS: missing, not a list, empty, or an empty file", () => {
    const cases: Array<[string, number, number, string]> = [
      ["defaults: { runOn: client }\n", 1, 1, "no root key `fragments:`"],
      ["fragments: { id: 6 }\n", 1, 12, "`fragments` must be a list"],
      ["fragments: []\n", 1, 12, "the `fragments` list is empty"],
      ["", 1, 1, "the CFD is empty"],
      ["- id: 6\n", 1, 1, "root is not a mapping"],
    ];
    for (const [text, line, col, msg] of cases) {
      const { cfd, diagnostics } = loadCfdText(text, "n.yaml");
      expect(cfd).toBeNull();
      expect(diagnostics).toHaveLength(1);
      expect(diagnostics[0]).toMatchObject({ code: "DCM_CFD_NO_FRAGMENTS", pos: { line, col } });
      expect(diagnostics[0]!.message).toContain(msg);
    }
  });

  it("DCM_CFD_UNKNOWN_KEY: misspelt keys at root, defaults, fragment and location level, with did-you-mean", () => {
    const { cfd, diagnostics } = load("unknown-keys.yaml");
    expect(cfd).toBeNull();
    // Exactly these: a misspelt required key is not reported a second time as missing.
    expect(diagnostics.map(brief)).toEqual([
      {
        code: "DCM_CFD_UNKNOWN_KEY",
        line: 5,
        col: 5,
        message: "unknown key `runon` in a fragment",
        suggestion: "did you mean `runOn`?",
      },
      {
        code: "DCM_CFD_UNKNOWN_KEY",
        line: 6,
        col: 17,
        message: "unknown key `filePath` in `location`",
        suggestion: "did you mean `filepath`?",
      },
      {
        code: "DCM_CFD_UNKNOWN_KEY",
        line: 10,
        col: 5,
        message: "unknown key `dependOn` in a fragment",
        suggestion: "did you mean `dependsOn`?",
      },
      {
        code: "DCM_CFD_UNKNOWN_KEY",
        line: 12,
        col: 13,
        message: "unknown key `langauge` in `defaults`",
        suggestion: "did you mean `language`?",
      },
      {
        code: "DCM_CFD_UNKNOWN_KEY",
        line: 13,
        col: 1,
        message: "unknown key `version` at the root",
        suggestion: "known keys at the root: fragments, defaults",
      },
    ]);
    expect(diagnostics[0]!.fragment).toBe("6");
  });

  it("DCM_CFD_UNKNOWN_KEY: a misspelt `fragments` is one diagnostic, not also 'no fragments'", () => {
    const { diagnostics } = loadCfdText("fragmnets:\n  - id: 6\n", "r.yaml");
    expect(diagnostics.map(brief)).toEqual([
      {
        code: "DCM_CFD_UNKNOWN_KEY",
        line: 1,
        col: 1,
        message: "unknown key `fragmnets` at the root",
        suggestion: "did you mean `fragments`?",
      },
    ]);
  });

  it("DCM_CFD_MISSING_KEY: id, name (integer id) and filepath, at the fragment item; runOn is optional", () => {
    const { cfd, diagnostics } = load("missing-keys.yaml");
    expect(cfd).toBeNull();
    expect(diagnostics.map((d) => [d.code, d.pos?.line, d.pos?.col, d.fragment])).toEqual([
      ["DCM_CFD_MISSING_KEY", 2, 5, "6"],
      ["DCM_CFD_MISSING_KEY", 5, 5, undefined],
      ["DCM_CFD_MISSING_KEY", 9, 15, "hash"],
    ]);
    expect(diagnostics[0]!.message).toBe("fragment 6 has an integer id and no `name`");
    expect(diagnostics[0]!.suggestion).toContain("add `name: <symbol>`");
    expect(diagnostics[1]!.message).toBe("a fragment has no `id`");
    // The string id `hash` doubles as the name; without runOn it is a dependency, which is not an error.
    expect(diagnostics[2]!.message).toBe("`location` has no `filepath`");
    expect(diagnostics[2]!.suggestion).toBe("add `filepath: <path of the source file>` to `location`");
  });

  it("DCM_CFD_MISSING_KEY: a fragment with neither id nor name gets one diagnostic, for the id", () => {
    const { diagnostics } = loadCfdText("fragments:\n  - runOn: client\n    location: { filepath: a.go }\n", "m.yaml");
    expect(diagnostics.map(brief)).toEqual([
      {
        code: "DCM_CFD_MISSING_KEY",
        line: 2,
        col: 5,
        message: "a fragment has no `id`",
        suggestion: "add `id: <number or name>` to the fragment",
      },
    ]);
  });

  it("reports every wrong value of a file in one pass (DCM_CFD_INVALID_RUNON, DCM_CFD_INVALID_VALUE)", () => {
    const { cfd, diagnostics } = load("invalid-values.yaml");
    expect(cfd).toBeNull();
    expect(diagnostics.map(brief)).toEqual([
      {
        code: "DCM_CFD_INVALID_RUNON",
        line: 4,
        col: 12,
        message: "`runOn` is `Client`; it must be `client` or `server`",
        suggestion: "did you mean `client`?",
      },
      {
        code: "DCM_CFD_INVALID_VALUE",
        line: 5,
        col: 52,
        message: "`location.start` (30) is after `location.end` (10)",
        suggestion: "swap them, or give the first and last line of the symbol",
      },
      {
        code: "DCM_CFD_INVALID_VALUE",
        line: 6,
        col: 11,
        message: "`libs` must be a list of strings, not `crypto/sha256`",
        suggestion: "write `libs: [crypto/sha256]`",
      },
      {
        code: "DCM_CFD_INVALID_VALUE",
        line: 7,
        col: 11,
        message: "`kind` is `methd`; it must be one of function, method, variable, const, type",
        suggestion: "did you mean `method`?",
      },
      {
        code: "DCM_CFD_INVALID_VALUE",
        line: 8,
        col: 17,
        message: "`idempotent` must be `true` or `false`, not `yes`",
        suggestion: "write `idempotent: true` or `idempotent: false`",
      },
      {
        code: "DCM_CFD_INVALID_RUNON",
        line: 11,
        col: 12,
        message: "`runOn` is `clinet`; it must be `client` or `server`",
        suggestion: "did you mean `client`?",
      },
      {
        code: "DCM_CFD_INVALID_VALUE",
        line: 12,
        col: 44,
        message: "`location.start` must be a positive line number, not the number `0`",
        suggestion: "Use the form shown in docs/cfd.md.",
      },
      {
        code: "DCM_CFD_INVALID_VALUE",
        line: 13,
        col: 17,
        message: "`libs` entry 2 must be a string, not the number `42`",
        suggestion: "Use the form shown in docs/cfd.md.",
      },
      {
        code: "DCM_CFD_INVALID_VALUE",
        line: 14,
        col: 17,
        message: "fragment 7 lists itself in `dependsOn`",
        suggestion: "remove its own id from `dependsOn`",
      },
    ]);
  });

  it("DCM_CFD_DUPLICATE_ID at the second occurrence, naming the first's line; DCM_CFD_UNKNOWN_DEPENDENCY", () => {
    const { cfd, diagnostics } = load("duplicate-and-deps.yaml");
    expect(cfd).toBeNull();
    expect(diagnostics.map(brief)).toEqual([
      {
        code: "DCM_CFD_UNKNOWN_DEPENDENCY",
        line: 9,
        col: 20,
        message: "`dependsOn` names `12`, which is not the id of any fragment in this CFD",
        suggestion: "did you mean `21` or `6`?",
      },
      {
        code: "DCM_CFD_UNKNOWN_DEPENDENCY",
        line: 9,
        col: 24,
        message: "`dependsOn` names `GetHash`, which is not the id of any fragment in this CFD",
        suggestion: "`GetHash` is the name of fragment 6; `dependsOn` takes ids: use `6`",
      },
      {
        code: "DCM_CFD_DUPLICATE_ID",
        line: 11,
        col: 9,
        message: "fragment id `6` is already used by the fragment at line 2",
        suggestion: "give this fragment an unused id, e.g. `id: 22`",
      },
    ]);
    expect(diagnostics.map((d) => d.fragment)).toEqual(["21", "21", "6"]);
  });

  it("DCM_CFD_UNKNOWN_DEPENDENCY: did-you-mean over the declared string ids", () => {
    const { diagnostics } = load("string-ids.yaml");
    expect(diagnostics.map(brief)).toEqual([
      {
        code: "DCM_CFD_UNKNOWN_DEPENDENCY",
        line: 10,
        col: 17,
        message: "`dependsOn` names `GetHsh`, which is not the id of any fragment in this CFD",
        suggestion: "did you mean `GetHash`?",
      },
    ]);
  });

  it("DCM_CFD_INVALID_VALUE: location that is not a mapping, and non-list fragments entries", () => {
    const { diagnostics } = loadCfdText(
      "fragments:\n  - GetHash\n  - id: 6\n    name: A\n    runOn: client\n    location: shared/a.go\n",
      "v.yaml",
    );
    expect(diagnostics.map(brief)).toEqual([
      {
        code: "DCM_CFD_INVALID_VALUE",
        line: 2,
        col: 5,
        message: "each entry of `fragments` must be a mapping (id, name, runOn, location…)",
        suggestion: "Use the form shown in docs/cfd.md.",
      },
      {
        code: "DCM_CFD_INVALID_VALUE",
        line: 6,
        col: 15,
        message: "`location` must be a mapping with `filepath`, not `shared/a.go`",
        suggestion: "write `location: { filepath: shared/a.go }`",
      },
    ]);
  });

  it("DCM_CFD_INVALID_RUNON: an empty runOn points at the key, and a far-off value gets the two choices", () => {
    const { diagnostics } = loadCfdText(
      "fragments:\n  - id: a\n    runOn:\n    location: { filepath: a.go }\n  - id: b\n    runOn: browser\n    location: { filepath: b.go }\n",
      "r.yaml",
    );
    expect(diagnostics.map(brief)).toEqual([
      {
        code: "DCM_CFD_INVALID_RUNON",
        line: 3,
        col: 5,
        message: "`runOn` is empty; it must be `client` or `server`",
        suggestion: "write `runOn: client` or `runOn: server`",
      },
      {
        code: "DCM_CFD_INVALID_RUNON",
        line: 6,
        col: 12,
        message: "`runOn` is `browser`; it must be `client` or `server`",
        suggestion: "write `runOn: client` or `runOn: server`",
      },
    ]);
  });
});
