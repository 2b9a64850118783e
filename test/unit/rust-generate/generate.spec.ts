/**
 * The Rust generator on the fixture crate: golden files for both targets
 * (test/golden/rust/app/, UPDATE_GOLDEN=1 rewrites them), deterministic
 * content keys, and the user's repository left untouched.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RustBuildSpec } from "../../../languages/rust/generate/build-spec.js";
import { generateRust } from "../../../languages/rust/generate/generate-rust.js";
import { PRINT_MACROS } from "../../../languages/rust/generate/print-macros.js";
import { rustToolchain } from "../../../languages/rust/toolchain/rust-toolchain.js";
import type { AnalysisResult } from "../../../src/languages/adapter-types.js";
import { analyzeApp, APP } from "../rust-analysis/helpers.js";

const GOLDEN = fileURLToPath(new URL("../../golden/rust/app/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const dirs: string[] = [];
let analysis: AnalysisResult;

beforeAll(async () => {
  analysis = await analyzeApp();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "dcm-rust-gen-"));
  dirs.push(d);
  return d;
}

async function generate(target: "wasm" | "native", workDir = tmp()) {
  const project = await generateRust(
    { repo: APP, analysis, fragments: analysis.fragments, side: "client", workDir },
    target,
    // The plain extern "C" path (bindgen.spec.ts covers the wasm-bindgen one).
    { driver: rustToolchain, bindgen: null },
  );
  return { project, workDir };
}

const listTree = (root: string): string[] =>
  readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(root.length + 1))
    .sort();

describe("generateRust", () => {
  for (const target of ["wasm", "native"] as const) {
    it(`${target}: files match test/golden/rust/app`, async () => {
      const { project, workDir } = await generate(target);
      expect(project.files.map((f) => f.path)).toEqual([
        `rust-${target}/crate/Cargo.toml`,
        `rust-${target}/crate/src/lib.rs`,
        `rust-${target}/crate/src/shapes/geometry.rs`,
        `rust-${target}/crate/src/shapes/mod.rs`,
        `rust-${target}/crate/src/util.rs`,
        `rust-${target}/crate/src/zz_dcm_abi.rs`,
      ]);
      for (const f of project.files) {
        const golden = join(GOLDEN, `${f.path}.golden`);
        const text = f.contents.replaceAll(workDir, "$WORK").replaceAll(APP, "$REPO");
        if (UPDATE) {
          mkdirSync(dirname(golden), { recursive: true });
          writeFileSync(golden, text);
          continue;
        }
        expect(existsSync(golden), `missing ${golden} (run with UPDATE_GOLDEN=1)`).toBe(true);
        expect(text, f.path).toBe(readFileSync(golden, "utf8"));
      }
      // Every file of the crate is in the work folder: the copied ones unchanged.
      expect(listTree(join(workDir, `rust-${target}`, "crate"))).toEqual([
        "Cargo.toml",
        "src/lib.rs",
        "src/shapes/geometry.rs",
        "src/shapes/mod.rs",
        "src/util.rs",
        "src/zz_dcm_abi.rs",
      ]);
    });
  }

  it("names exports dcm_f_<id> and appends wrappers below the user's lines", async () => {
    const { project } = await generate("wasm");
    expect(project.exports.add).toBe("dcm_f_add");
    expect(project.exports.counter_bump).toBe("dcm_f_counter_bump");
    expect(project.exports.scale).toBeUndefined();
    const spec = project.buildSpec as RustBuildSpec;
    const userLib = readFileSync(join(APP, "src/lib.rs"), "utf8");
    const lib = project.files.find((f) => f.path.endsWith("src/lib.rs"))!.contents;
    // The user's lines, unmoved; the print macros share the line after the inner attributes.
    expect(lib.replace(`${PRINT_MACROS} `, "").startsWith(userLib)).toBe(true);
    expect(lib.indexOf(PRINT_MACROS)).toBeLessThan(userLib.length);
    expect(spec.userFiles["src/lib.rs"]).toEqual({ repoFile: "src/lib.rs", lines: userLib.split("\n").length - 1 });
    expect(lib).toContain("mod zz_dcm_abi;");
    expect(lib).toMatch(/#\[no_mangle\]\npub extern "C" fn dcm_f_add\(p0: i32, p1: i32\) -> i32/);
  });

  it("is deterministic and does not write the repository", async () => {
    const before = listTree(APP);
    const a = await generate("native");
    const b = await generate("native");
    expect(a.project.contentKey).toBe(b.project.contentKey);
    expect(a.project.contentKey).not.toBe((await generate("wasm")).project.contentKey);
    expect(listTree(APP)).toEqual(before);
  });

  it("uses #[unsafe(no_mangle)] for edition 2024", async () => {
    const detail = analysis.detail as { crate: { edition: string } };
    const edition = detail.crate.edition;
    detail.crate.edition = "2024";
    try {
      const { project } = await generate("native");
      const abi = project.files.find((f) => f.path.endsWith("zz_dcm_abi.rs"))!.contents;
      expect(abi).toContain("#[unsafe(no_mangle)]\npub extern \"C\" fn dcm_ctx_new");
      expect(abi).not.toContain("#[no_mangle]");
    } finally {
      detail.crate.edition = edition;
    }
  });
});
