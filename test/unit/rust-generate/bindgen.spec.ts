/**
 * The wasm-bindgen variant of the Rust client crate: golden files
 * (test/golden/rust/app-bindgen/, UPDATE_GOLDEN=1 rewrites them) for a fixed
 * wasm-bindgen version, the Cargo.toml pin, the DCM_RUST_BINDGEN switch, and
 * — with the real cargo and wasm-bindgen-cli when installed — the compiled
 * module loaded through the glue dcm bundles, twice, with a panic in between.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RustBuildSpec } from "../../../languages/rust/generate/build-spec.js";
import { pinWasmBindgen } from "../../../languages/rust/generate/cargo-manifest.js";
import { generateRust } from "../../../languages/rust/generate/generate-rust.js";
import { rustcFitsBindgen, WASM_BINDGEN_VERSION } from "../../../languages/rust/toolchain/bindgen-version.js";
import { compileRust } from "../../../languages/rust/toolchain/compile-rust.js";
import { rustToolchain } from "../../../languages/rust/toolchain/rust-toolchain.js";
import { type BindgenTools, bindgenWanted, wasmBindgenToolchain } from "../../../languages/rust/toolchain/wasm-bindgen-tools.js";
import type { ManifestFragment, ManifestModule } from "../../../runtime/abi/manifest-types.js";
import type { ModuleLoader } from "../../../runtime/abi/module-types.js";
import type { AnalysisResult } from "../../../src/languages/adapter-types.js";
import { analyzeApp, APP } from "../rust-analysis/helpers.js";

const GOLDEN = fileURLToPath(new URL("../../golden/rust/app-bindgen/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const FIXED: BindgenTools = { cli: "/opt/wasm-bindgen", version: "0.2.130" };
const dirs: string[] = [];
let analysis: AnalysisResult;

beforeAll(async () => {
  analysis = await analyzeApp();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "dcm-rust-bindgen-"));
  dirs.push(d);
  return d;
}

function generate(bindgen: BindgenTools | null, workDir = tmp()) {
  return generateRust({ repo: APP, analysis, fragments: analysis.fragments, side: "client", workDir }, "wasm", {
    driver: rustToolchain,
    bindgen,
  }).then((project) => ({ project, workDir }));
}

const ABI_EXPORTS = ["dcm_abi_version", "dcm_status_ptr", "dcm_in", "dcm_out"];

describe("generateRust (wasm-bindgen)", () => {
  it("files match test/golden/rust/app-bindgen", async () => {
    const { project, workDir } = await generate(FIXED);
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
  });

  it("exports the ABI functions and every fragment through #[wasm_bindgen(js_name)], numeric only", async () => {
    const { project } = await generate(FIXED);
    const all = project.files.map((f) => f.contents).join("\n");
    expect(all).not.toMatch(/extern "C" fn/);
    expect(all).not.toContain("#[no_mangle]");
    for (const name of [...ABI_EXPORTS, ...Object.values(project.exports)]) {
      expect(all).toContain(`#[::wasm_bindgen::prelude::wasm_bindgen(js_name = ${name})]\npub fn ${name}(`);
    }
    expect(all).toMatch(/pub fn dcm_f_add\(p0: i32, p1: i32\) -> i32/);
    expect(all).toMatch(/pub fn dcm_f_greet\(len: i32\) -> i32/);
    const cargo = project.files.find((f) => f.path.endsWith("Cargo.toml"))!.contents;
    expect(cargo).toContain('wasm-bindgen = "=0.2.130"');
    expect(cargo).toContain('strip = "debuginfo"');
    expect((project.buildSpec as RustBuildSpec).bindgen).toEqual({ version: "0.2.130" });
  });

  it("keys the module by the wasm-bindgen version; the plain path is unchanged", async () => {
    const a = (await generate(FIXED)).project;
    const b = (await generate({ ...FIXED, version: "0.2.129" })).project;
    const plain = (await generate(null)).project;
    expect(a.contentKey).not.toBe(b.contentKey);
    expect(a.contentKey).not.toBe(plain.contentKey);
    expect((plain.buildSpec as RustBuildSpec).bindgen).toBeUndefined();
    expect(plain.files.map((f) => f.contents).join("\n")).not.toContain("wasm_bindgen");
  });

  it("never uses wasm-bindgen for native, nor for edition 2015 crates", async () => {
    const native = await generateRust(
      { repo: APP, analysis, fragments: analysis.fragments, side: "server", workDir: tmp() },
      "native",
      { driver: rustToolchain, bindgen: FIXED },
    );
    expect((native.buildSpec as RustBuildSpec).bindgen).toBeUndefined();
    const detail = analysis.detail as { crate: { edition: string } };
    const edition = detail.crate.edition;
    detail.crate.edition = "2015";
    try {
      const { project } = await generate(FIXED);
      expect((project.buildSpec as RustBuildSpec).bindgen).toBeUndefined();
    } finally {
      detail.crate.edition = edition;
    }
  });

  it("pins a wasm-bindgen dependency of the user's crate in place", () => {
    expect(pinWasmBindgen("", "0.2.130")).toBe('[dependencies]\nwasm-bindgen = "=0.2.130"');
    expect(pinWasmBindgen('[dependencies]\nitoa = "1"', "0.2.130")).toBe('[dependencies]\nwasm-bindgen = "=0.2.130"\nitoa = "1"');
    expect(pinWasmBindgen('[dependencies]\nwasm-bindgen = "0.2"', "0.2.130")).toBe('[dependencies]\nwasm-bindgen = "=0.2.130"');
    expect(pinWasmBindgen('[dependencies]\nwasm-bindgen = { version = "0.2", features = ["serde"] }', "0.2.130")).toBe(
      '[dependencies]\nwasm-bindgen = { version = "=0.2.130", features = ["serde"] }',
    );
    expect(pinWasmBindgen('[dependencies.wasm-bindgen]\nversion = "0.2.90"\nfeatures = ["x"]', "0.2.130")).toBe(
      '[dependencies.wasm-bindgen]\nversion = "=0.2.130"\nfeatures = ["x"]',
    );
  });

  it("needs a rustc the wasm-bindgen crate supports (Debian's 1.63 builds the plain module)", () => {
    expect(rustcFitsBindgen("rustc 1.95.0")).toBe(true);
    expect(rustcFitsBindgen("rustc 1.81.0")).toBe(true);
    expect(rustcFitsBindgen("rustc 1.80.1")).toBe(false);
    expect(rustcFitsBindgen("rustc 1.63.0")).toBe(false);
  });

  it("DCM_RUST_BINDGEN=0 turns the wasm-bindgen path off", () => {
    expect(bindgenWanted({ DCM_RUST_BINDGEN: "0" })).toBe(false);
    expect(bindgenWanted({ DCM_RUST_BINDGEN: "off" })).toBe(false);
    expect(bindgenWanted({})).toBe(true);
    expect(bindgenWanted({ DCM_RUST_BINDGEN: "1" })).toBe(true);
  });
});

describe("compileRust (wasm-bindgen, real toolchains)", async () => {
  const tools = await wasmBindgenToolchain.tools();
  it.skipIf(!tools)("builds the module and its glue; each load is a fresh instance, also after a panic", async () => {
    if (tools!.version !== WASM_BINDGEN_VERSION) console.warn(`wasm-bindgen ${tools!.version} is not the pinned ${WASM_BINDGEN_VERSION}`);
    const { project } = await generate(tools);
    const out = join(tmp(), "m.wasm");
    const res = await compileRust(project, "wasm", out, { cacheDir: tmp() });
    expect(res.diagnostics).toEqual([]);
    expect(res.toolchain).toMatch(new RegExp(`^rustc \\d+\\.\\d+\\.\\d+ wasm32-unknown-unknown, wasm-bindgen ${tools!.version.replaceAll(".", "\\.")}`));
    expect(res.glue).toBeDefined();
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(out)));
    expect(imports.every((i) => i.module === "./dcm_module_bg.js")).toBe(true);

    const loader = (await import(pathToFileURL(res.glue!).href)).default as ModuleLoader;
    const fragments = analysis.fragments
      .filter((f) => project.exports[f.id])
      .map((f) => ({ id: f.id, signature: f.signature, abi: f.abi, export: project.exports[f.id] }) as ManifestFragment);
    const bytes = new Uint8Array(readFileSync(out));
    const req = { module: { file: "client/rust.wasm" } as ManifestModule, bytes, fragments, types: analysis.types };
    const one = await loader.load(req);
    expect(one.call("add", [2, 3])).toBe(5);
    expect(one.call("greet", ["wörld"])).toBe("hello, wörld! 👋");
    expect(() => one.call("boom", ["x"])).toThrow(/boom: x/);
    expect(one.isDead?.()).toBe(true);
    // A second instance of the same glue: its own wasm-bindgen state and memory.
    const two = await loader.load(req);
    expect(two.isDead?.()).toBe(false);
    expect(two.call("greet", ["again"])).toBe("hello, again! 👋");
    expect(() => two.call("boom_scalar", [3])).toThrow(/scalar boom 3/);
    const three = await loader.load(req);
    expect(three.call("add", [2147483647, 1])).toBe(-2147483648);
    for (const i of [one, two, three]) i.close();
  }, 600_000);
});
