/**
 * Golden files of the Go state accessors (test/golden/go/state/): main.go and
 * the overlay export files the generator writes for languages/go/fixtures/state
 * with its three state groups, both targets. UPDATE_GOLDEN=1 rewrites them.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { analyzeGo } from "../../../languages/go/analysis/analyze-go.js";
import { generateGo } from "../../../languages/go/generate/generate-go.js";
import { cfdFragments, stateGroups } from "./state-groups.js";

const STATE = fileURLToPath(new URL("../../../languages/go/fixtures/state", import.meta.url));
const GOLDEN = fileURLToPath(new URL("../../golden/go/state/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const gofmt = ["/usr/local/go/bin/gofmt", "gofmt"].find((g) => {
  try {
    execFileSync(g, ["-l"], { input: "package x\n", stdio: ["pipe", "ignore", "ignore"] });
    return true;
  } catch {
    return false;
  }
});

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function generate(target: "wasm" | "native", withGroups: boolean) {
  const analysis = await analyzeGo({ repo: STATE, fragments: cfdFragments(STATE) });
  const { groups, types } = stateGroups(analysis);
  const workDir = mkdtempSync(join(tmpdir(), "dcm-go-state-gen-"));
  dirs.push(workDir);
  const project = await generateGo(
    {
      repo: STATE,
      analysis: { ...analysis, types },
      fragments: analysis.fragments,
      side: "client",
      workDir,
      ...(withGroups ? { stateGroups: groups } : {}),
    },
    target,
  );
  return { project, workDir };
}

describe("Go state accessors: generated code", () => {
  for (const target of ["wasm", "native"] as const) {
    test(`${target}: main.go and the export files match test/golden/go/state`, async () => {
      const { project, workDir } = await generate(target, true);
      const files = project.files.filter(
        (f) => f.path.endsWith("/main/main.go") || f.path.endsWith("zz_dcm_export.go"),
      );
      expect(files.map((f) => f.path)).toEqual([
        `go-${target}/main/main.go`,
        `go-${target}/overlay/blobs/zz_dcm_export.go`,
        `go-${target}/overlay/tally/zz_dcm_export.go`,
      ]);
      for (const f of files) {
        const golden = join(GOLDEN, `${f.path}.golden`);
        const text = f.contents.replaceAll(workDir, "$WORK").replaceAll(STATE, "$REPO");
        if (UPDATE) {
          mkdirSync(dirname(golden), { recursive: true });
          writeFileSync(golden, text);
          continue;
        }
        expect(existsSync(golden), `missing golden ${golden} (run with UPDATE_GOLDEN=1)`).toBe(true);
        expect(text, f.path).toBe(readFileSync(golden, "utf8"));
      }
      if (gofmt) {
        const out = execFileSync(gofmt, ["-l", ...files.map((f) => join(workDir, f.path))], { encoding: "utf8" });
        expect(out).toBe("");
      }
    });

    test(`${target}: the module's content key changes with the state groups`, async () => {
      const a = await generate(target, true);
      const b = await generate(target, false);
      expect(a.project.contentKey).not.toBe(b.project.contentKey);
      expect(Object.keys(b.project.exports).some((k) => k.startsWith("$state."))).toBe(false);
    });
  }
});
