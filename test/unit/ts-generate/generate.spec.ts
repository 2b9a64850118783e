/**
 * The TypeScript generator and the esbuild bundle: the entry module against
 * test/golden/typescript/ (UPDATE_GOLDEN=1 rewrites; the repository path
 * appears as $REPO), deterministic output and content keys, and clear
 * errors for imports that cannot be bundled.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeTs } from "../../../languages/typescript/analysis/analyze-ts.js";
import typescriptAdapter from "../../../languages/typescript/adapter.js";
import type { TsBuildSpec } from "../../../languages/typescript/generate/generate-ts.js";
import { E2E_APP, generate, TS_FIXTURES, tsAnalysis } from "./ts-fixture.js";

const GOLDEN = join(import.meta.dirname, "..", "..", "golden", "typescript");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const temp: string[] = [];
afterAll(() => {
  for (const d of temp) rmSync(d, { recursive: true, force: true });
});

function copyApp(): string {
  const dir = mkdtempSync(join(tmpdir(), "dcm-ts-app-"));
  temp.push(dir);
  cpSync(E2E_APP, dir, { recursive: true });
  return dir;
}

function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

describe("generateTs", () => {
  it("writes the entry module of test/golden/typescript/e2e-app/dcm-entry.mjs", async () => {
    const before = listTree(E2E_APP);
    const analysis = await tsAnalysis(E2E_APP);
    const { project, workDir } = await generate(E2E_APP, analysis);
    temp.push(workDir);
    expect(project.files.map((f) => f.path)).toEqual(["ts-js/dcm-console.mjs", "ts-js/dcm-entry.mjs"]);
    const entry = project.files[1]!;
    const text = entry.contents.replaceAll(E2E_APP, "$REPO");
    const golden = join(GOLDEN, "e2e-app", "dcm-entry.mjs");
    if (UPDATE) {
      mkdirSync(join(GOLDEN, "e2e-app"), { recursive: true });
      writeFileSync(golden, text);
    } else {
      expect(existsSync(golden), `missing ${golden} (run with UPDATE_GOLDEN=1)`).toBe(true);
      expect(text).toBe(readFileSync(golden, "utf8"));
    }
    expect(readFileSync(join(workDir, "ts-js", "dcm-entry.mjs"), "utf8")).toBe(entry.contents);
    expect(readFileSync(join(workDir, "ts-js", "dcm-console.mjs"), "utf8")).toBe(project.files[0]!.contents);
    expect(project.exports).toMatchObject({ add: "dcm_f_add", greet: "dcm_f_greet", nameLength: "dcm_f_nameLength" });
    // The user's repository is never written.
    expect(listTree(E2E_APP)).toEqual(before);
  });

  it("bundles a browser-safe ES module, byte for byte the same every time, with a stable content key", async () => {
    const analysis = await tsAnalysis(E2E_APP);
    const a = await generate(E2E_APP, analysis);
    const b = await generate(E2E_APP, analysis);
    temp.push(a.workDir, b.workDir);
    expect(a.project.contentKey).toMatch(/^[0-9a-f]{64}$/);
    expect(b.project.contentKey).toBe(a.project.contentKey);
    const code = (a.project.buildSpec as TsBuildSpec).code!;
    expect((b.project.buildSpec as TsBuildSpec).code).toBe(code);
    expect(code).not.toMatch(/node:|require\(/);
    expect(code).not.toContain(E2E_APP);
    expect(code).toMatch(/export\{.*dcm_f_add.*\}/s);
    const out = join(a.workDir, "m.js");
    const res = await typescriptAdapter.compile(a.project, "js", out);
    expect(res).toEqual({ file: out, target: "js", toolchain: expect.stringMatching(/^esbuild 0\.\d+\.\d+$/), diagnostics: [] });
    expect(readFileSync(out, "utf8")).toBe(code);
  });

  it("changes the content key when a bundled file changes, not when an unrelated one does", async () => {
    const repo = copyApp();
    const key = async () => {
      const g = await generate(repo, await tsAnalysis(repo));
      temp.push(g.workDir);
      return g.project.contentKey;
    };
    const k1 = await key();
    writeFileSync(join(repo, "src", "unrelated.ts"), "export const x = 1;\n");
    expect(await key()).toBe(k1);
    const text = join(repo, "src", "text.ts");
    writeFileSync(text, readFileSync(text, "utf8").replace("Hello", "Hi"));
    expect(await key()).not.toBe(k1);
  });
});

describe("bundling errors", () => {
  const repo = join(TS_FIXTURES, "bundle-errors");
  const frag = (id: string, file: string, name: string) => ({
    id,
    name,
    runOn: "client" as const,
    file,
    location: { filepath: file },
    positions: { fragment: { file: "dcm.yaml", line: 1, col: 1 } },
  });

  it("names the fragment, the import and its line for Node built-ins and missing packages", async () => {
    const analysis = await analyzeTs({
      repo,
      fragments: [frag("cfg", "src/uses-fs.ts", "config"), frag("pad", "src/uses-pkg.ts", "padded"), frag("ok", "src/fine.ts", "fine")],
    });
    expect(analysis.diagnostics).toEqual([]);
    expect(analysis.fragments.find((f) => f.id === "pad")?.deps.libs).toEqual(["dcm-no-such-package"]);
    const { project, workDir } = await generate(repo, analysis);
    temp.push(workDir);
    const res = await typescriptAdapter.compile(project, "js", join(workDir, "m.js"));
    expect(existsSync(join(workDir, "m.js"))).toBe(false);
    const byFrag = new Map(res.diagnostics.map((d) => [d.fragment, d]));
    expect(res.diagnostics.every((d) => d.code === "DCM_COMPILE_FAILED")).toBe(true);
    const fs = byFrag.get("cfg")!;
    expect(fs.message).toMatch(/fragment `cfg`: .*src\/helper\.ts:1.*"node:fs" is a Node\.js built-in/);
    expect(fs.pos).toMatchObject({ file: "src/helper.ts", line: 1 });
    const pkg = byFrag.get("pad")!;
    expect(pkg.message).toMatch(/fragment `pad`: .*src\/uses-pkg\.ts:1.*dcm-no-such-package/);
    expect(pkg.suggestion).toContain("npm install dcm-no-such-package");
  });
});
