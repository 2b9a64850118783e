import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compareWithDetected, type DetectedDeps } from "../../../src/cfd/compare-detected.js";
import { fixCfdText, scalarText } from "../../../src/cfd/fix-cfd.js";
import { loadCfdText } from "../../../src/cfd/load-cfd.js";
import { DcmError } from "../../../runtime/diagnostics/catalog.js";

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), "utf8");
const deps = (d: Partial<DetectedDeps>): DetectedDeps => ({
  libs: [],
  fragments: [],
  globalVars: [],
  typeDefs: [],
  ...d,
});

/** After a fix the CFD must load cleanly and have nothing left to report. */
function expectClean(text: string, detected: Map<string, DetectedDeps>) {
  const { cfd, diagnostics } = loadCfdText(text, "fixed.yaml");
  expect(diagnostics).toEqual([]);
  expect(compareWithDetected(cfd!, detected)).toEqual([]);
}

describe("fixCfdText", () => {
  it("returns the commented CFD byte-identical when nothing is missing", () => {
    const text = fixture("commented.yaml");
    const detected = new Map([
      ["6", deps({ libs: ["encoding/hex"] })],
      ["21", deps({ fragments: ["6"], globalVars: ["counter"], typeDefs: ["Employee"] })],
      ["30", deps({})],
    ]);
    expect(fixCfdText(text, detected)).toBe(text);
    expect(fixCfdText(text, new Map())).toBe(text);
  });

  it("adds what is missing in each fragment's own style and keeps every comment and blank line", () => {
    const text = fixture("commented.yaml");
    const detected = new Map([
      ["6", deps({ libs: ["crypto/sha256", "fmt"], globalVars: ["salt"] })],
      [
        "21",
        deps({
          libs: ["strings"],
          fragments: ["6", "30", "21"],
          globalVars: ["counter", "total"],
          typeDefs: ["Employee", "Dept"],
        }),
      ],
      ["30", deps({ libs: ["sort"], fragments: ["6"] })],
    ]);
    const fixed = fixCfdText(text, detected);
    expect(fixed).toBe(`# CFD for the employee demo.
# Fragments follow the paper's format.

defaults:
  runOn: client   # most code starts on the client

fragments:
  # Hashing helper, pure.
  - id: 6
    name: GetHash
    location: { filepath: shared/shared.go }   # the shared package
    libs: [ crypto/sha256 , encoding/hex , fmt ]
    globalVar: [ salt ]

  # Creates an employee; touches the counter.
  - id: 21
    name: CreateEmployee
    runOn: client
    dependsOn:
      - 6       # hashes the password
      - 30
    location:
      filepath: shared/employee.go
      start: 10
      end: 30
    libs:
      - strings
    globalVar:
      - counter
      - total
    # types it builds
    typeDef: [Employee, Dept]

  - { id: 30, name: ListEmployees, runOn: server, location: { filepath: shared/list.go }, dependsOn: [6], libs: [sort] }
# trailing comment
`);
    for (const comment of text.split("\n").filter((l) => l.includes("#"))) expect(fixed).toContain(comment);
    expectClean(fixed, detected);
    expect(fixCfdText(fixed, detected)).toBe(fixed);
  });

  it("fixes the paper's example: integer ids stay integers in dependsOn", () => {
    const text = fixture("paper.yaml");
    const detected = new Map([
      ["6", deps({ fragments: ["21"] })],
      ["21", deps({ fragments: ["6"], libs: ["strconv"] })],
    ]);
    const fixed = fixCfdText(text, detected);
    expect(fixed).toBe(`fragments:
  - id: 6
    name: GetHash
    runOn: client
    dependsOn: [ 21 ]
    location: { filepath: shared/shared.go }
    libs: [ crypto/sha256 , encoding/hex ]
  - id: 21
    name: CreateEmployee
    runOn: client
    dependsOn: [6]
    location: { filepath: shared/employee.go, start: 10, end: 30 }
    libs: [strconv]
    globalVar: [ counter ]
    typeDef: [ Employee ]
`);
    const reloaded = loadCfdText(fixed, "p.yaml").cfd!;
    expect(reloaded.fragments[0]!.dependsOn).toEqual(["21"]);
    expectClean(fixed, detected);
    expect(fixCfdText(fixed, detected)).toBe(fixed);
  });

  it("quotes ids declared as strings and values that would not read back as strings", () => {
    const text =
      'fragments:\n  - { id: a, runOn: client, location: { filepath: a.go } }\n  - { id: "6", runOn: client, location: { filepath: b.go }, globalVar: [] }\n';
    const detected = new Map([["a", deps({ fragments: ["6"], globalVars: ["true", "x y", "ok"] })]]);
    const fixed = fixCfdText(text, detected);
    expect(fixed.split("\n")[1]).toBe(
      '  - { id: a, runOn: client, location: { filepath: a.go }, dependsOn: ["6"], globalVar: ["true", "x y", ok] }',
    );
    expectClean(fixed, detected);
  });

  it("fills an empty `libs:` in place, keeps CRLF line ends and a file without a final newline", () => {
    const text =
      "fragments:\r\n  - id: a\r\n    runOn: client\r\n    libs: # none yet\r\n    location: {filepath: a.go}";
    const detected = new Map([["a", deps({ libs: ["os"], typeDefs: ["T"] })]]);
    const fixed = fixCfdText(text, detected);
    // No `typeDef: [T]`: this CFD uses no list form of typeDef, so it is in the paper's dialect.
    expect(fixed).toBe(
      "fragments:\r\n  - id: a\r\n    runOn: client\r\n    libs: [os] # none yet\r\n    location: {filepath: a.go}",
    );
    expectClean(fixed, detected);
  });

  it("writes new lists in block style with the fragment's dash indentation", () => {
    const b = "- id: b\n  location: {filepath: b.go}\n  globalVar: []\n";
    const text = `fragments:\n- id: a\n  runOn: client\n  libs:\n  - fmt\n  location: {filepath: a.go}\n${b}`;
    const detected = new Map([["a", deps({ libs: ["os"], globalVars: ["x"] })]]);
    const fixed = fixCfdText(text, detected);
    expect(fixed).toBe(
      `fragments:\n- id: a\n  runOn: client\n  libs:\n  - fmt\n  - os\n  location: {filepath: a.go}\n  globalVar:\n  - x\n${b}`,
    );
    expectClean(fixed, detected);
  });

  it("keeps `group:` and `stateful:` while it adds what is missing", () => {
    const text = "fragments:\n  - id: add\n    group: cart\n    stateful: false\n    location: { filepath: a.go }\n";
    const detected = new Map([["add", deps({ libs: ["fmt"] })]]);
    const fixed = fixCfdText(text, detected);
    expect(fixed).toContain("    group: cart\n    stateful: false\n");
    expect(fixed).toContain("fmt");
    const { cfd } = loadCfdText(fixed, "fixed.yaml");
    expect(cfd!.fragments[0]).toMatchObject({ group: "cart", stateful: false });
    expectClean(fixed, detected);
  });

  it("refuses to edit a CFD that has errors", () => {
    expect(() => fixCfdText("fragments:\n  - id: 6\n", new Map(), "bad.yaml")).toThrow(DcmError);
    try {
      fixCfdText("fragments:\n  - id: 6\n", new Map(), "bad.yaml");
    } catch (e) {
      expect((e as DcmError).code).toBe("DCM_CFD_MISSING_KEY");
      expect((e as DcmError).message).toContain("bad.yaml:2:5");
    }
  });

  it("scalarText writes plain scalars only when they read back as the same string", () => {
    expect(scalarText("github.com/x/y")).toBe("github.com/x/y");
    expect(scalarText("crypto/sha256")).toBe("crypto/sha256");
    expect(scalarText("123")).toBe('"123"');
    expect(scalarText("null")).toBe('"null"');
    expect(scalarText("a, b")).toBe('"a, b"');
    expect(scalarText("#x")).toBe('"#x"');
  });
});

describe("robustness", () => {
  it("never throws on damaged input, and fixes every variant that still loads cleanly and idempotently", () => {
    const base = fixture("commented.yaml");
    let valid = 0;
    for (let i = 0; i <= base.length; i++) {
      for (const edit of ["", "&a "]) {
        const text = base.slice(0, i) + edit + base.slice(i + (edit === "" ? 1 : 0));
        const { cfd } = loadCfdText(text, "m.yaml"); // must not throw
        if (!cfd) continue;
        valid++;
        const ids = cfd.fragments.map((f) => f.id);
        const detected = new Map(
          ids.map((id) => [id, deps({ libs: ["fmt"], fragments: ids, globalVars: ["g"], typeDefs: ["T"] })]),
        );
        const fixed = fixCfdText(text, detected);
        expectClean(fixed, detected);
        expect(fixCfdText(fixed, detected)).toBe(fixed);
      }
    }
    expect(valid).toBeGreaterThan(100);
  });
});
