/**
 * Fuzzing the CFD loader (src/cfd/load-cfd.ts) and `dcm validate --fix`
 * (src/cfd/fix-cfd.ts). The loader takes any text — random, YAML of random
 * shapes, the paper's CFDs and the test fixtures mutated — and never throws:
 * it returns diagnostics of the catalog, a CFD only when there is no error.
 * The fixer is idempotent (fix(fix(x)) == fix(x)) on generated CFDs in every
 * style (flow and block lists and maps, comments, int and string ids, the
 * paper's `typeDef: true` flags) and random detected dependencies; its output
 * loads without errors, keeps every original line, and leaves no missing
 * `libs`/`dependsOn`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { compareWithDetected, type DetectedDeps } from "../../src/cfd/compare-detected.js";
import { fixCfdText } from "../../src/cfd/fix-cfd.js";
import { loadCfdText } from "../../src/cfd/load-cfd.js";
import { CATALOG, DcmError } from "../../runtime/diagnostics/catalog.js";
import { ROOT } from "../support/run-cli.js";
import { fuzz } from "./fuzz-config.js";

/** The paper's CFDs (test/unit/cfd/fixtures/paper) and the loader's fixtures: the seeds of the mutations. */
const FIXTURES = join(ROOT, "test/unit/cfd/fixtures");
const SEEDS = [
  ...readdirSync(join(FIXTURES, "paper")).map((n) => join(FIXTURES, "paper", n)),
  ...readdirSync(FIXTURES).map((n) => join(FIXTURES, n)),
  join(ROOT, "test/e2e/fixtures/small/dcm.yaml"),
]
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => readFileSync(f, "utf8"));

/** The loader's contract on any input. */
function loadsTyped(text: string): true {
  const r = loadCfdText(text, "fuzz.yaml");
  for (const d of r.diagnostics) {
    expect(d.code in CATALOG, d.code).toBe(true);
    if (d.pos) expect(d.pos.line).toBeGreaterThanOrEqual(1);
  }
  const errors = r.diagnostics.filter((d) => d.severity === "error");
  expect(r.cfd === null).toBe(errors.length > 0);
  return true;
}

const YAML_BITS = [
  "\n",
  "  ",
  "- ",
  ": ",
  "[",
  "]",
  "{",
  "}",
  ",",
  "#",
  "&a ",
  "*a",
  "!!str ",
  "!!map ",
  "'",
  '"',
  "\t",
  "id: ",
  "name: ",
  "fragments:",
  "runOn: ",
  "location:",
  "filepath: ",
  "dependsOn: ",
  "libs: ",
  "typeDef: true",
  "<<: *a",
  "---\n",
  "...\n",
  "? ",
  "|\n",
  ">-\n",
  "~",
  "null",
  "0x1F",
  "1e400",
  "\u0000",
  "\uFEFF",
];

/** A seed CFD with random edits: deletions, insertions of YAML syntax, duplicated slices. */
const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(
      fc.tuple(
        fc.constantFrom("delete", "insert", "dup"),
        fc.nat(),
        fc.nat({ max: 40 }),
        fc.oneof(fc.constantFrom(...YAML_BITS), fc.string({ maxLength: 8 })),
      ),
      { minLength: 1, maxLength: 6 },
    ),
  )
  .map(([text, edits]) => {
    let t = text;
    for (const [op, at, len, bit] of edits) {
      const i = at % (t.length + 1);
      if (op === "delete") t = t.slice(0, i) + t.slice(i + len);
      else if (op === "insert") t = t.slice(0, i) + bit + t.slice(i);
      else t = t.slice(0, i) + t.slice(i, i + len) + t.slice(i);
    }
    return t;
  });

const ident = fc.stringMatching(/^[A-Z][a-zA-Z0-9]{0,8}$/);
const lib = fc.constantFrom(
  "fmt",
  "strings",
  "crypto/sha256",
  "encoding/hex",
  "github.com/x/y",
  "go/token",
  "strconv",
  "sort",
);

/** YAML of random shapes (valid YAML, mostly not a valid CFD). */
const randomYaml = fc
  .oneof(
    fc.jsonValue({ maxDepth: 4 }),
    fc.record({
      fragments: fc.array(
        fc.dictionary(
          fc.constantFrom("id", "name", "runOn", "location", "libs", "dependsOn", "kind", "extra"),
          fc.jsonValue({ maxDepth: 2 }),
          { maxKeys: 6 },
        ),
        { maxLength: 4 },
      ),
    }),
  )
  .map((v) => stringify(v));

describe("CFD loader on any input", () => {
  it("random text", () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), loadsTyped), fuzz(1500));
  });

  it("YAML of random shapes", () => {
    fc.assert(fc.property(randomYaml, loadsTyped), fuzz(800));
  });

  it("the paper's CFDs and the fixtures, mutated", () => {
    fc.assert(fc.property(mutated, loadsTyped), fuzz(1500));
  });

  it("alias bombs and deep nesting are diagnostics", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
            .fill(`*${String.fromCharCode(97 + i)}`)
            .join(", ")}]`,
      ),
      "fragments: *j",
    ].join("\n");
    loadsTyped(bomb);
    loadsTyped(`fragments:\n${"  ".repeat(1)}- ${"[".repeat(5000)}${"]".repeat(5000)}\n`);
    loadsTyped(`fragments: ${"{a: ".repeat(3000)}1${"}".repeat(3000)}\n`);
  });
});

// ---- generated valid CFDs for --fix ----

interface GenFragment {
  id: number | string;
  name: string;
  runOn?: "client" | "server";
  libs?: string[];
  dependsOn?: number[];
  typeDef?: true | string[];
  flowLocation: boolean;
  flowLists: boolean;
  wholeFlow: boolean;
  comment: boolean;
}

const genFragments = fc
  .uniqueArray(fc.nat({ max: 40 }), { minLength: 1, maxLength: 6 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id) =>
        fc.record(
          {
            id: fc.constantFrom<number | string>(id, `f${id}`),
            name: ident,
            runOn: fc.constantFrom("client" as const, "server" as const),
            libs: fc.uniqueArray(lib, { maxLength: 3 }),
            dependsOn: fc.subarray(ids),
            typeDef: fc.oneof(fc.constant(true as const), fc.uniqueArray(ident, { maxLength: 2 })),
            flowLocation: fc.boolean(),
            flowLists: fc.boolean(),
            wholeFlow: fc.boolean(),
            comment: fc.boolean(),
          },
          { requiredKeys: ["id", "name", "flowLocation", "flowLists", "wholeFlow", "comment"] },
        ),
      ),
    ),
  )
  // dependsOn names ids, and ids may be written `f<n>`: keep only numeric ids in dependsOn when the target's id is numeric.
  .map((frags) => {
    const idOf = new Map(frags.map((f) => [typeof f.id === "number" ? f.id : Number(String(f.id).slice(1)), f.id]));
    // A fragment never lists itself (the loader refuses that).
    return frags.map((f) => ({
      ...f,
      dependsOn: f.dependsOn?.map((d) => idOf.get(d)!).filter((d) => d !== f.id) as Array<number | string> | undefined,
    }));
  });

function renderCfd(
  frags: Array<Omit<GenFragment, "dependsOn"> & { dependsOn?: Array<number | string> }>,
  crlf: boolean,
): string {
  const lines: string[] = ["# generated by test/fuzz/cfd.spec.ts", "fragments:"];
  for (const f of frags) {
    const list = (xs: Array<string | number>) => `[${xs.join(", ")}]`;
    if (f.wholeFlow) {
      const parts = [`id: ${f.id}`, `name: ${f.name}`];
      if (f.runOn) parts.push(`runOn: ${f.runOn}`);
      if (f.dependsOn?.length) parts.push(`dependsOn: ${list(f.dependsOn)}`);
      parts.push("location: { filepath: app/app.go }");
      if (f.libs?.length) parts.push(`libs: ${list(f.libs)}`);
      lines.push(`  - { ${parts.join(", ")} }`);
      continue;
    }
    if (f.comment) lines.push(`  # fragment ${f.id}`);
    lines.push(`  - id: ${f.id}`, `    name: ${f.name}`);
    if (f.runOn) lines.push(`    runOn: ${f.runOn}${f.comment ? "   # side" : ""}`);
    const block = (key: string, xs: Array<string | number>) => {
      if (f.flowLists) lines.push(`    ${key}: ${list(xs)}`);
      else lines.push(`    ${key}:`, ...xs.map((x) => `      - ${x}`));
    };
    if (f.dependsOn?.length) block("dependsOn", f.dependsOn);
    if (f.flowLocation) lines.push("    location: { filepath: app/app.go }");
    else lines.push("    location:", "      filepath: app/app.go");
    if (f.libs?.length) block("libs", f.libs);
    if (f.typeDef === true) lines.push("    typeDef: true");
    else if (f.typeDef?.length) block("typeDef", f.typeDef);
  }
  return lines.join(crlf ? "\r\n" : "\n") + (crlf ? "\r\n" : "\n");
}

const detectedFor = (ids: Array<number | string>) =>
  fc
    .tuple(
      ...ids.map(() =>
        fc.record({
          libs: fc.uniqueArray(lib, { maxLength: 4 }),
          fragments: fc.subarray(ids.map(String)),
          globalVars: fc.uniqueArray(fc.stringMatching(/^[a-z][a-zA-Z0-9]{0,6}$/), { maxLength: 2 }),
          typeDefs: fc.uniqueArray(ident, { maxLength: 2 }),
        }),
      ),
    )
    .map((ds) => new Map<string, DetectedDeps>(ds.map((d, i) => [String(ids[i]), d])));

const fixCase = fc
  .tuple(genFragments, fc.boolean())
  .chain(([frags, crlf]) => fc.tuple(fc.constant(renderCfd(frags, crlf)), detectedFor(frags.map((f) => f.id))));

describe("dcm validate --fix", () => {
  it("is idempotent, its output loads, keeps every line and leaves no libs/dependsOn missing", () => {
    fc.assert(
      fc.property(fixCase, ([text, detected]) => {
        const before = loadCfdText(text, "gen.yaml");
        expect(
          before.diagnostics.filter((d) => d.severity === "error"),
          text,
        ).toEqual([]);
        const once = fixCfdText(text, detected);
        expect(fixCfdText(once, detected), `not idempotent on:\n${text}`).toBe(once);
        const after = loadCfdText(once, "fixed.yaml");
        expect(
          after.diagnostics.filter((d) => d.severity === "error"),
          once,
        ).toEqual([]);
        // Edits only insert: every original line is still there, in order.
        const originalLines = text.split(/\r?\n/).filter((l) => l.trim() && !l.includes("[") && !l.includes("{"));
        let at = 0;
        const fixedLines = once.split(/\r?\n/);
        for (const l of originalLines) {
          const i = fixedLines.indexOf(l, at);
          expect(i, `line lost: ${l}\n--- before\n${text}--- after\n${once}`).toBeGreaterThanOrEqual(0);
          at = i + 1;
        }
        const left = compareWithDetected(after.cfd!, detected).filter(
          (d) => d.code === "DCM_CFD_MISSING_LIBS" || d.code === "DCM_CFD_MISSING_DEPENDS_ON",
        );
        expect(left, once).toEqual([]);
      }),
      fuzz(400),
    );
  });

  it("on mutated CFDs: a fixed text or DcmError, never another error", () => {
    fc.assert(
      fc.property(mutated, detectedFor(["0", "1", "2", "6", "21", "30"]), (text, detected) => {
        try {
          const once = fixCfdText(text, detected);
          expect(fixCfdText(once, detected)).toBe(once);
        } catch (e) {
          if (!(e instanceof DcmError)) throw e;
        }
        return true;
      }),
      fuzz(800),
    );
  });
});
