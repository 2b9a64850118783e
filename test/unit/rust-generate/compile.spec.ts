/**
 * compileRust with the real cargo: a rustc error in a fragment's body comes
 * back at the user's file:line with the fragment; a missing toolchain names
 * the install script. The repository is never written.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyzeRust } from "../../../languages/rust/analysis/analyze-rust.js";
import { generateRust } from "../../../languages/rust/generate/generate-rust.js";
import { compileRust } from "../../../languages/rust/toolchain/compile-rust.js";
import { cargoDiagnostics } from "../../../languages/rust/toolchain/rust-errors.js";
import { createRustToolchain, rustToolchain } from "../../../languages/rust/toolchain/rust-toolchain.js";
import { FIXTURES, frag } from "../rust-analysis/helpers.js";

const BAD = join(FIXTURES, "bad-compile");
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "dcm-rust-compile-"));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function project(driver = rustToolchain) {
  const analysis = await analyzeRust({ repo: BAD, fragments: [frag("half", "src/lib.rs", "half")] });
  expect(analysis.diagnostics).toEqual([]);
  return generateRust({ repo: BAD, analysis, fragments: analysis.fragments, side: "client", workDir: tmp() }, "native", { driver });
}

describe("compileRust", () => {
  it("maps a rustc error to the user's file, line and fragment", async () => {
    const out = join(tmp(), "m.so");
    const res = await compileRust(await project(), "native", out, { cacheDir: tmp() });
    expect(res.diagnostics.length).toBeGreaterThan(0);
    const d = res.diagnostics[0]!;
    expect(d).toMatchObject({ code: "DCM_COMPILE_FAILED", fragment: "half", pos: { file: "src/lib.rs", line: 3 } });
    expect(d.message).toMatch(/rustc: .*(no implementation|cannot divide)/);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(join(BAD, "target"))).toBe(false);
    expect(existsSync(join(BAD, "Cargo.lock"))).toBe(false);
  }, 300_000);

  it("reports a missing toolchain with the install script", async () => {
    const none = createRustToolchain({ candidates: ["/nonexistent/bin/cargo"] });
    const res = await compileRust(await project(none), "wasm", join(tmp(), "m.wasm"), { driver: none, cacheDir: tmp() });
    expect(res.diagnostics).toHaveLength(1);
    expect(res.diagnostics[0]!.code).toBe("DCM_TOOLCHAIN_MISSING");
    expect(res.diagnostics[0]!.suggestion).toContain("bash toolchains/rust/install.sh");
  });

  it("prefers a toolchain with the wasm32 standard library for wasm", async () => {
    const all = await rustToolchain.all();
    const wasm = await rustToolchain.detectFor("wasm");
    if (wasm) expect(wasm.hasWasm32).toBe(true);
    expect(all.length).toBeGreaterThan(0);
    expect(all[0]!.version).toMatch(/^rustc \d+\.\d+\.\d+$/);
  });

  it("says which toolchain is needed when cargo is too old for the crate", async () => {
    const spec = (await project()).buildSpec as Parameters<typeof cargoDiagnostics>[2]["spec"];
    const toolchain = { name: "rust", path: "/usr/bin/cargo", rustc: "/usr/bin/rustc", version: "rustc 1.63.0", sysroot: "/usr", hasWasm32: true, origin: "system" as const };
    const stderr =
      "error: failed to parse manifest at `/x/Cargo.toml`\n\nCaused by:\n  this version of Cargo is older than the `2024` edition, and only supports `2015`, `2018`, and `2021` editions.\n";
    const [d] = cargoDiagnostics("", stderr, { spec, buildCrateDir: "/x", toolchain, installHint: rustToolchain.installHint });
    expect(d).toMatchObject({ code: "DCM_TOOLCHAIN_TOO_OLD" });
    expect(d!.message).toContain("edition 2024, which rustc 1.63.0 does not know");
    expect(d!.suggestion).toContain("bash toolchains/rust/install.sh");
    const dep = cargoDiagnostics("", "error: package `foo v1.2.0` cannot be built because it requires rustc 1.70 or newer, while the currently active rustc version is 1.63.0\n", {
      spec,
      buildCrateDir: "/x",
      toolchain,
      installHint: rustToolchain.installHint,
    });
    expect(dep[0]!.message).toContain("it needs rustc 1.70 or newer");
  });
});
