/**
 * TypeScript fragments are type-checked (issue 8, part 5): esbuild strips
 * types, so `const n: number = "str"` used to build and fail only when
 * called. `dcm validate` and `dcm build` now run the TypeScript compiler over
 * the fragments' files and what they import, with the repository's
 * tsconfig.json or strict defaults, and stop with DCM_TS_TYPE_ERROR at the
 * user's file:line:col naming the fragment. The compiler is loaded only for
 * CFDs with TypeScript fragments, and an unchanged check is not run again.
 * Fixtures: languages/typescript/fixtures/type-check/.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import { ROOT, runCli } from "../support/run-cli.js";

const FIXTURES = join(ROOT, "languages/typescript/fixtures/type-check");
const BAD = join(FIXTURES, "bad");
const LOOSE = join(FIXTURES, "loose");

let scratch: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-ts-check-"));
  env = { ...process.env, DCM_CACHE_DIR: join(scratch, "cache") };
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function validateJson(
  repo: string,
  cfd = join(repo, "dcm.yaml"),
): Promise<{ code: number; diagnostics: Diagnostic[] }> {
  const r = await runCli(["validate", cfd, "--repo", repo, "--json"], { env });
  return { code: r.code, diagnostics: (JSON.parse(r.stdout) as { diagnostics: Diagnostic[] }).diagnostics };
}

/** The CLI prints paths relative to its current folder (ROOT) when inside it: compare them repository-relative. */
const typeErrors = (ds: Diagnostic[], repo: string) =>
  ds
    .filter((d) => d.code.startsWith("DCM_TS_"))
    .map((d) => ({
      code: d.code,
      pos: d.pos && { ...d.pos, file: relative(repo, resolve(ROOT, d.pos.file)) },
      fragment: d.fragment,
      message: d.message,
    }));

describe("a type error stops validate and build", () => {
  const expected = [
    {
      code: "DCM_TS_TYPE_ERROR",
      pos: { file: "src/calc.ts", line: 3, col: 9 },
      fragment: "parse",
      message: "fragment `parse` (`parse`): TS2322: Type 'string' is not assignable to type 'number'.",
    },
    {
      code: "DCM_TS_TYPE_ERROR",
      pos: { file: "src/format.ts", line: 3, col: 9 },
      fragment: "report",
      message:
        "src/format.ts (needed by fragment `report` (`report`)) does not type-check: TS2322: Type 'number' is not assignable to type 'string'.",
    },
  ];

  it("dcm validate: one error in a fragment's own code, one in a file another fragment imports", async () => {
    const { code, diagnostics } = await validateJson(BAD);
    expect(code).toBe(1);
    expect(typeErrors(diagnostics, BAD)).toEqual(expected);
    // The clean fragment of the same file is not blamed.
    expect(diagnostics.some((d) => d.fragment === "add")).toBe(false);
  });

  it("dcm build: the same errors, printed as file:line:col, and no dist", async () => {
    const out = join(scratch, "bad-dist");
    const r = await runCli(["build", BAD, "--cfd", join(BAD, "dcm.yaml"), "--out", out], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("src/calc.ts:3:9: error DCM_TS_TYPE_ERROR: fragment `parse` (`parse`): TS2322");
    expect(r.stderr).toContain(
      "src/format.ts:3:9: error DCM_TS_TYPE_ERROR: src/format.ts (needed by fragment `report` (`report`))",
    );
    expect(existsSync(out)).toBe(false);
    const json = await runCli(["build", BAD, "--cfd", join(BAD, "dcm.yaml"), "--out", out, "--json"], { env });
    expect(typeErrors((JSON.parse(json.stdout) as { diagnostics: Diagnostic[] }).diagnostics, BAD)).toEqual(expected);
  });
});

describe("the repository's tsconfig.json is honoured", () => {
  it("`strict: false` accepts a helper's implicit any, `paths` resolve; the build runs", async () => {
    const { code, diagnostics } = await validateJson(LOOSE);
    expect(code).toBe(0);
    expect(typeErrors(diagnostics, LOOSE)).toEqual([]);
    const out = join(scratch, "loose-dist");
    const b = await runCli(["build", LOOSE, "--cfd", join(LOOSE, "dcm.yaml"), "--out", out], { env });
    expect(b.stderr).not.toContain("error");
    expect(b.code).toBe(0);
    const call = await runCli(["invoke", out, "doubled", "--args", "[21]", "--on", "client"], { env });
    expect(call.stdout.trim()).toBe("42");
  });

  it("the same code with `strict: true` is refused in the aliased file, naming the fragment that imports it", async () => {
    const repo = join(scratch, "strict");
    await cp(LOOSE, repo, { recursive: true });
    const tsconfig = join(repo, "tsconfig.json");
    await writeFile(tsconfig, (await readFile(tsconfig, "utf8")).replace('"strict": false', '"strict": true'));
    const { code, diagnostics } = await validateJson(repo);
    expect(code).toBe(1);
    expect(typeErrors(diagnostics, repo)).toEqual([
      {
        code: "DCM_TS_TYPE_ERROR",
        pos: { file: "lib/twice.ts", line: 2, col: 23 },
        fragment: "doubled",
        message:
          "lib/twice.ts (needed by fragment `doubled` (`doubled`)) does not type-check: TS7006: Parameter 'x' implicitly has an 'any' type.",
      },
    ]);
  });

  it("a tsconfig.json the compiler refuses is reported at its own line, without the errors that follow from it", async () => {
    const repo = join(scratch, "bad-config");
    await cp(LOOSE, repo, { recursive: true });
    await writeFile(join(repo, "tsconfig.json"), '{\n  "compilerOptions": {\n    "lib": ["ES2099"]\n  }\n}\n');
    const { code, diagnostics } = await validateJson(repo);
    expect(code).toBe(1);
    const found = typeErrors(diagnostics, repo);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: "DCM_TS_CONFIG", pos: { file: "tsconfig.json", line: 3, col: 13 } });
    expect(found[0]!.message).toContain("TS6046: Argument for '--lib' option must be");
  });
});

describe("code written for dcm type-checks clean", () => {
  for (const [name, repo] of [
    ["examples/polyglot", join(ROOT, "examples/polyglot")],
    ["languages/typescript/fixtures/parity", join(ROOT, "languages/typescript/fixtures/parity")],
    ["languages/typescript/fixtures/e2e/app", join(ROOT, "languages/typescript/fixtures/e2e/app")],
  ] as const) {
    it(name, async () => {
      const { code, diagnostics } = await validateJson(repo);
      expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(code).toBe(0);
    });
  }
});

/**
 * A child process that analyses with the check on (as `dcm validate` does) and says whether
 * the TypeScript compiler was loaded: it must not be for a Go-only CFD, nor when the files
 * the last check read are unchanged.
 */
function probe(repo: string, cacheDir: string): Promise<{ compilerLoaded: boolean; errors: string[] }> {
  const script = `
    import { createRequire } from "node:module";
    import { relative } from "node:path";
    const { analyzeProject } = await import(${JSON.stringify(join(ROOT, "build/src/build/analyze-project.js"))});
    const a = await analyzeProject(${JSON.stringify(repo)}, ${JSON.stringify(join(repo, "dcm.yaml"))}, { check: true, cacheDir: ${JSON.stringify(cacheDir)} });
    const cache = createRequire(import.meta.url).cache;
    console.log(JSON.stringify({
      compilerLoaded: Object.keys(cache).some((k) => k.includes("/node_modules/typescript/")),
      errors: a.diagnostics.filter((d) => d.severity === "error").map((d) => d.code + " " + relative(${JSON.stringify(repo)}, d.pos?.file ?? "") + ":" + d.pos?.line),
    }));`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as { compilerLoaded: boolean; errors: string[] });
    });
  });
}

describe("the compiler runs only when it has something new to check", () => {
  it("a Go-only CFD never loads it", async () => {
    const r = await probe(join(ROOT, "test/e2e/fixtures/small"), join(scratch, "probe-go"));
    expect(r).toEqual({ compilerLoaded: false, errors: [] });
  });

  it("an unchanged check is answered from dcm's cache; a changed imported file is checked again", async () => {
    const repo = join(scratch, "probe-ts");
    await cp(BAD, repo, { recursive: true });
    const cacheDir = join(scratch, "probe-ts-cache");
    const both = ["DCM_TS_TYPE_ERROR src/calc.ts:3", "DCM_TS_TYPE_ERROR src/format.ts:3"];
    expect(await probe(repo, cacheDir)).toEqual({ compilerLoaded: true, errors: both });
    expect(await probe(repo, cacheDir)).toEqual({ compilerLoaded: false, errors: both });
    // Fix the imported file: its hash changed, so the check runs again and finds only the other error.
    const format = join(repo, "src/format.ts");
    await writeFile(
      format,
      (await readFile(format, "utf8")).replace("const unit: string = total;", "const unit = String(total);"),
    );
    expect(await probe(repo, cacheDir)).toEqual({ compilerLoaded: true, errors: ["DCM_TS_TYPE_ERROR src/calc.ts:3"] });
    expect(await probe(repo, cacheDir)).toEqual({ compilerLoaded: false, errors: ["DCM_TS_TYPE_ERROR src/calc.ts:3"] });
  });
});
