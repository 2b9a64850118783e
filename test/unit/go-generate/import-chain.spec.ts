/**
 * Failing packages outside the module → the fragment and the import chain
 * (languages/go/toolchain/import-chain.ts), and which failures a pruned build
 * may owe to extraction (extraction-gaps.ts): synthetic `go build` stderr and
 * `go list` output against a build spec; the real builds are in
 * test/e2e/go-sibling-build.spec.ts and prune.spec.ts.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import type { GoBuildSpec } from "../../../languages/go/generate/build-spec.js";
import { extractionGaps } from "../../../languages/go/toolchain/extraction-gaps.js";
import { parseGoBuildOutput } from "../../../languages/go/toolchain/go-errors.js";
import { importChain, importChainDiagnostics, parseGoList } from "../../../languages/go/toolchain/import-chain.js";

const REPO = fileURLToPath(new URL("./fixtures/prune", import.meta.url));
const WORK = "/work/go-wasm";
const spec: GoBuildSpec = {
  kind: "go",
  specVersion: 1,
  target: "wasm",
  repo: REPO,
  moduleRoot: REPO,
  workDir: WORK,
  mainDir: `${WORK}/main`,
  goWork: `${WORK}/go.work`,
  overlay: `${WORK}/overlay.json`,
  wholeOverlay: `${WORK}/overlay-whole.json`,
  modulePath: "example.com/prune",
  moduleDir: "",
  exports: {},
  abi: {},
  fragments: [
    {
      id: "sum",
      symbol: "Sum",
      file: "app/app.go",
      line: 70,
      endLine: 73,
      pkgPath: "example.com/prune/app",
      libs: ["fmt"],
    },
    {
      id: "paint",
      symbol: "Paint",
      file: "lib/lib.go",
      line: 10,
      endLine: 10,
      pkgPath: "example.com/prune/lib",
      libs: ["github.com/fatih/color"],
    },
  ],
  shadows: { [`${WORK}/extract/app/app.go`]: "app/app.go" },
  generated: [`${WORK}/main/main.go`],
};

const LIST = [
  { ImportPath: "github.com/mattn/go-isatty", Name: "isatty" },
  { ImportPath: "github.com/fatih/color", Name: "color", Imports: ["fmt", "github.com/mattn/go-isatty"] },
  { ImportPath: "example.com/prune/lib", Name: "lib", Imports: ["github.com/fatih/color"] },
  { ImportPath: "example.com/prune/app", Name: "app", Imports: ["example.com/prune/lib", "fmt"] },
  { ImportPath: "fmt", Name: "fmt" },
]
  .map((p) => JSON.stringify(p, null, "\t"))
  .join("\n");

const STDERR = `# github.com/fatih/color
/root/go/pkg/mod/github.com/fatih/color@v1.9.0/color.go:21:12: undefined: isatty.IsTerminal
/root/go/pkg/mod/github.com/fatih/color@v1.9.0/color.go:21:50: undefined: isatty.IsCygwinTerminal
`;

describe("import chains", () => {
  test("go list's JSON stream and the shortest chain", () => {
    const pkgs = parseGoList(LIST);
    expect(pkgs.size).toBe(5);
    expect(importChain(pkgs, "example.com/prune/app", "github.com/mattn/go-isatty")).toEqual([
      "example.com/prune/app",
      "example.com/prune/lib",
      "github.com/fatih/color",
      "github.com/mattn/go-isatty",
    ]);
    expect(importChain(pkgs, "fmt", "github.com/fatih/color")).toBeUndefined();
  });

  test("the fragment whose code reaches the package is named, with the chain, at its line", () => {
    const out = parseGoBuildOutput(STDERR, `${WORK}/main`);
    expect(out.errors.map((e) => e.pkg)).toEqual(["github.com/fatih/color", "github.com/fatih/color"]);
    const { diagnostics, handled } = importChainDiagnostics(out, spec, parseGoList(LIST), "wasip1/wasm", () => true);
    expect(handled.size).toBe(2);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: "DCM_DEPENDENCY_UNBUILDABLE",
      fragment: "paint",
      pos: { file: "lib/lib.go", line: 10, col: 1 },
    });
    expect(diagnostics[0]!.message).toContain(
      "lib → github.com/fatih/color → github.com/mattn/go-isatty: undefined: isatty.IsTerminal (/root/go/pkg/mod/github.com/fatih/color@v1.9.0/color.go:21:12) (and 1 more error)",
    );
  });

  test("without a fragment whose code reaches it, the first fragment whose package imports it", () => {
    const noLibs = { ...spec, fragments: spec.fragments.map((f) => ({ ...f, libs: [] })) };
    const out = parseGoBuildOutput(STDERR, `${WORK}/main`);
    const { diagnostics } = importChainDiagnostics(out, noLibs, parseGoList(LIST), "wasip1/wasm", () => true);
    expect(diagnostics[0]).toMatchObject({ fragment: "sum", pos: { file: "app/app.go", line: 70 } });
    expect(diagnostics[0]!.message).toMatch(/^the package of fragment `sum`/);
    expect(diagnostics[0]!.message).toContain("app → lib → github.com/fatih/color → github.com/mattn/go-isatty");
  });
});

describe("extraction gaps", () => {
  const parse = (stderr: string) => parseGoBuildOutput(stderr, `${WORK}/main`);
  test("names the package declares, dropped imports and unused imports are gaps", () => {
    const gaps = extractionGaps(
      parse(`# example.com/prune/app
${WORK}/extract/app/app.go:71:9: undefined: pair
${WORK}/extract/app/app.go:80:2: undefined: strings
${WORK}/extract/app/app.go:12:2: "os" imported and not used
${WORK}/overlay/app/zz_dcm_export.go:7:20: undefined: Box
`),
      spec,
    );
    expect(gaps?.map((g) => `${g.file}:${g.line} ${g.message}`)).toEqual([
      "app/app.go:71 undefined: pair",
      "app/app.go:80 undefined: strings",
      'app/app.go:12 "os" imported and not used',
      // dcm's alias file names a type of the package the closure lost
      "app/zz_dcm_export.go:7 undefined: Box",
    ]);
  });

  test("a name nobody declares, a type error, or an error outside the module is a real error", () => {
    expect(extractionGaps(parse(`${WORK}/extract/app/app.go:71:9: undefined: nowhere\n`), spec)).toBeUndefined();
    expect(
      extractionGaps(
        parse(`${WORK}/extract/app/app.go:71:9: cannot use "y" (untyped string constant) as int value\n`),
        spec,
      ),
    ).toBeUndefined();
    expect(extractionGaps(parse(STDERR), spec)).toBeUndefined();
  });
});
