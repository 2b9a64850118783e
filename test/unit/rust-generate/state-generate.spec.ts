/**
 * The Rust generator's state accessors on the common state fixture
 * (languages/rust/fixtures/state): golden files for both targets
 * (test/golden/rust/state/, UPDATE_GOLDEN=1 rewrites them), the accessor
 * exports reported under their ids, the wasm-bindgen form, and a content
 * key that follows the groups. Building and calling them: test/e2e/rust-state.spec.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeRust } from "../../../languages/rust/analysis/analyze-rust.js";
import { generateRust } from "../../../languages/rust/generate/generate-rust.js";
import { rustToolchain } from "../../../languages/rust/toolchain/rust-toolchain.js";
import type { AnalysisResult, StateAccessorRequest } from "../../../src/languages/adapter-types.js";
import { stateGroupsOf } from "../../e2e/harness/rust-state-modules.js";
import { FIXTURES, STATE_FRAGMENTS } from "../rust-analysis/helpers.js";

const STATE = join(FIXTURES, "state");
const GOLDEN = fileURLToPath(new URL("../../golden/rust/state/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const dirs: string[] = [];
let analysis: AnalysisResult;
let groups: StateAccessorRequest[];

beforeAll(async () => {
  analysis = await analyzeRust({ repo: STATE, fragments: STATE_FRAGMENTS });
  groups = stateGroupsOf(analysis);
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function generate(target: "wasm" | "native", stateGroups: StateAccessorRequest[], bindgen: { version: string } | null = null) {
  const workDir = mkdtempSync(join(tmpdir(), "dcm-rust-state-gen-"));
  dirs.push(workDir);
  const project = await generateRust(
    { repo: STATE, analysis, fragments: analysis.fragments, side: "client", stateGroups, workDir },
    target,
    { driver: rustToolchain, bindgen },
  );
  return { project, workDir };
}

describe("generateRust: state accessors", () => {
  for (const target of ["wasm", "native"] as const) {
    it(`${target}: files match test/golden/rust/state`, async () => {
      const { project, workDir } = await generate(target, groups);
      // The codec and Cargo.toml do not depend on the groups (test/golden/rust/app has them).
      for (const f of project.files.filter((x) => !/(zz_dcm_abi\.rs|Cargo\.toml)$/.test(x.path))) {
        const golden = join(GOLDEN, `${f.path}.golden`);
        const text = f.contents.replaceAll(workDir, "$WORK").replaceAll(STATE, "$REPO");
        if (UPDATE) {
          mkdirSync(dirname(golden), { recursive: true });
          writeFileSync(golden, text);
          continue;
        }
        expect(existsSync(golden), `missing ${golden} (run with UPDATE_GOLDEN=1)`).toBe(true);
        expect(text, f.path).toBe(readFileSync(golden, "utf8"));
      }
    });
  }

  it("reports the accessor exports under their ids, next to the fragments'", async () => {
    const { project } = await generate("native", groups);
    for (const g of groups) {
      expect(project.exports[g.get.id]).toBe(g.get.export);
      expect(project.exports[g.set.id]).toBe(g.set.export);
    }
    expect(project.exports["counter-add"]).toBeDefined();
  });

  it("lifts a private submodule's helpers through its parent, and declares wasm-bindgen exports on that path", async () => {
    const { project } = await generate("wasm", groups, { version: "0.2.130" });
    const file = (p: string) => project.files.find((f) => f.path.endsWith(p))!.contents;
    expect(file("src/journal/mod.rs")).toMatch(/pub\(crate\) use self::store::\{__dcm_state_get_\w+, __dcm_state_set_\w+\};/);
    expect(file("src/lib.rs")).toMatch(/#\[::wasm_bindgen::prelude::wasm_bindgen\(js_name = dcm_state_get_1\)\]\npub fn dcm_state_get_1\(len: i32\) -> i32 \{/);
  });

  it("changes the content key when the groups change", async () => {
    const all = (await generate("wasm", groups)).project.contentKey;
    expect((await generate("wasm", groups)).project.contentKey).toBe(all);
    expect((await generate("wasm", groups.slice(1))).project.contentKey).not.toBe(all);
    expect((await generate("wasm", [])).project.contentKey).not.toBe(all);
  });
});
