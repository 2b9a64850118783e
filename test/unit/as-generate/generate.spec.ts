/**
 * The AssemblyScript generator and compiler: golden files for the generated
 * project (test/golden/assemblyscript/app/; UPDATE_GOLDEN=1 rewrites them),
 * a real asc build whose module is called directly (exact result frames,
 * imports), compiler errors mapped back to the fragment's line, and a
 * missing asc.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { analyzeAs } from "../../../languages/assemblyscript/analysis/analyze-as.js";
import { generateAs } from "../../../languages/assemblyscript/generate/generate-as.js";
import { createAscToolchain } from "../../../languages/assemblyscript/toolchain/asc-toolchain.js";
import { compileAs } from "../../../languages/assemblyscript/toolchain/compile-as.js";
import type { AnalysisResult, GeneratedProject } from "../../../src/languages/adapter-types.js";

const FIX = fileURLToPath(new URL("../../../languages/assemblyscript/fixtures/", import.meta.url));
const APP = `${FIX}app`;
const GOLDEN = fileURLToPath(new URL("../../golden/assemblyscript/app/", import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const I = "assembly/index.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "dcm-as-gen-"));
  dirs.push(d);
  return d;
}

function frag(id: string, name: string, file = I) {
  return {
    id,
    name,
    runOn: "client" as const,
    location: { filepath: file },
    positions: { fragment: { file: "dcm.yaml", line: 1, col: 1 } },
    file,
  };
}

const IDS = ["add", "addI64", "greet", "counts", "byId", "promote", "fixed", "ints", "fail", "at", "nothing"];

async function appAnalysis(): Promise<AnalysisResult> {
  const r = await analyzeAs({
    repo: APP,
    fragments: [...IDS.map((id) => frag(id, id)), frag("raise", "Employee.raise", "assembly/model.ts")],
  });
  expect(r.diagnostics).toEqual([]);
  return r;
}

async function generate(workDir = tmp()) {
  const analysis = await appAnalysis();
  const project = await generateAs(
    { repo: APP, analysis, fragments: analysis.fragments, side: "client", workDir },
    { ascVersion: "asc test" },
  );
  return { project, workDir };
}

describe("generateAs", () => {
  test("generated files match test/golden/assemblyscript/app", async () => {
    const { project, workDir } = await generate();
    expect(project.files.map((f) => f.path)).toEqual([
      "as-wasm/dcm_abi.ts",
      "as-wasm/entry.ts",
      "as-wasm/src/assembly/index.ts",
      "as-wasm/src/assembly/model.ts",
      "as-wasm/src/assembly/util.ts",
    ]);
    for (const f of project.files.filter((x) => !x.path.includes("/src/"))) {
      expect(readFileSync(join(workDir, f.path), "utf8")).toBe(f.contents);
      const golden = join(GOLDEN, `${f.path}.golden`);
      if (UPDATE) {
        mkdirSync(dirname(golden), { recursive: true });
        writeFileSync(golden, f.contents);
        continue;
      }
      expect(existsSync(golden), `missing golden ${golden} (run with UPDATE_GOLDEN=1)`).toBe(true);
      expect(f.contents, f.path).toBe(readFileSync(golden, "utf8"));
    }
    expect(project.exports.add).toBe("dcm_f_add");
    expect(project.exports.raise).toBe("dcm_f_raise");
  });

  test("is deterministic: the same content key in another work folder", async () => {
    const a = await generate();
    const b = await generate();
    expect(a.project.contentKey).toBe(b.project.contentKey);
    expect(a.project.contentKey).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("compileAs (real asc)", () => {
  let project: GeneratedProject;
  let ex: Record<string, (...a: unknown[]) => unknown> & { memory: WebAssembly.Memory };
  let module: WebAssembly.Module;

  beforeAll(async () => {
    const g = await generate();
    project = g.project;
    const out = join(g.workDir, "module.wasm");
    const res = await compileAs(project, out);
    expect(res.diagnostics).toEqual([]);
    expect(res.toolchain).toMatch(/^asc 0\.\d+\.\d+ wasm32$/);
    module = new WebAssembly.Module(readFileSync(out));
    ex = new WebAssembly.Instance(module, {}).exports as typeof ex;
  }, 120_000);

  const callBuffer = (name: string, args: number[]): number[] => {
    const ptr = ex.dcm_in!(args.length) as number;
    new Uint8Array(ex.memory.buffer, ptr, args.length).set(args);
    const n = ex[name]!(args.length) as number;
    const out = ex.dcm_out!() as number;
    return [...new Uint8Array(ex.memory.buffer, out, n)];
  };
  const status = () => new DataView(ex.memory.buffer).getInt32(ex.dcm_status_ptr!() as number, true);

  test("imports nothing and exports the ABI", () => {
    expect(WebAssembly.Module.imports(module)).toEqual([]);
    const names = WebAssembly.Module.exports(module).map((e) => e.name);
    for (const n of ["memory", "dcm_abi_version", "dcm_status_ptr", "dcm_in", "dcm_out", "dcm_f_add", "dcm_f_greet"])
      expect(names).toContain(n);
    expect(ex.dcm_abi_version!()).toBe(1);
    expect((ex.dcm_status_ptr!() as number) % 4).toBe(0);
  });

  test("scalar ABI: i32 and i64 with wrap-around", () => {
    expect(ex.dcm_f_add!(2147483647, 1)).toBe(-2147483648);
    expect(ex.dcm_f_addI64!(9223372036854775807n, 1n)).toBe(-9223372036854775808n);
    expect(status()).toBe(0);
  });

  test("buffer ABI: exact result frames", () => {
    // greet("h€") -> ok "Hello, h€!"
    const frame = callBuffer("dcm_f_greet", [4, 0, 0, 0, 0x68, 0xe2, 0x82, 0xac]);
    expect(frame.slice(0, 5)).toEqual([0, 12, 0, 0, 0]);
    expect(Buffer.from(frame.slice(5)).toString()).toBe("Hello, h€!");
    // counts(["b","a","b"]) -> {a:1,b:2}, keys ascending
    const counts = callBuffer("dcm_f_counts", [3, 0, 0, 0, 1, 0, 0, 0, 0x62, 1, 0, 0, 0, 0x61, 1, 0, 0, 0, 0x62]);
    expect(counts).toEqual([0, 2, 0, 0, 0, 1, 0, 0, 0, 0x61, 1, 0, 0, 0, 1, 0, 0, 0, 0x62, 2, 0, 0, 0]);
    // arguments that run past the end -> status 3
    expect(callBuffer("dcm_f_greet", [9, 0, 0, 0, 0x68])[0]).toBe(3);
  });

  test("throw -> status 1 frame then trap; ~lib abort -> status 2", () => {
    expect(() => callBuffer("dcm_f_fail", [1, 0, 0, 0, 0x78])).toThrow(WebAssembly.RuntimeError);
    let n = status();
    let out = ex.dcm_out!() as number;
    let frame = [...new Uint8Array(ex.memory.buffer, out, n)];
    expect(frame[0]).toBe(1);
    expect(Buffer.from(frame.slice(5)).toString()).toBe("failed: x");

    ex = new WebAssembly.Instance(module, {}).exports as typeof ex;
    expect(() => callBuffer("dcm_f_at", [1, 0, 0, 0, 7, 0, 0, 0, 5, 0, 0, 0])).toThrow(WebAssembly.RuntimeError);
    n = status();
    out = ex.dcm_out!() as number;
    frame = [...new Uint8Array(ex.memory.buffer, out, n)];
    expect(frame[0]).toBe(2);
    expect(Buffer.from(frame.slice(5)).toString()).toMatch(/^Index out of range at ~lib\/array\.ts:\d+:\d+$/);
  });

  test("many calls keep memory correct (GC runs between calls)", () => {
    ex = new WebAssembly.Instance(module, {}).exports as typeof ex;
    const word = [1, 0, 0, 0, 0x61];
    for (let i = 0; i < 20000; i++) {
      const f = callBuffer("dcm_f_greet", word);
      if (f.length !== 14) throw new Error(`call ${i}: frame of ${f.length} bytes`);
    }
    expect(Buffer.from(callBuffer("dcm_f_greet", word).slice(5)).toString()).toBe("Hello, a!");
  });
});

describe("compile errors and a missing toolchain", () => {
  test("an asc error in a user file names the fragment and its line", async () => {
    const repo = `${FIX}bad-compile`;
    const analysis = await analyzeAs({ repo, fragments: [frag("ok", "ok"), frag("wrong", "wrong")] });
    expect(analysis.diagnostics).toEqual([]);
    const workDir = tmp();
    const project = await generateAs(
      { repo, analysis, fragments: analysis.fragments, side: "client", workDir },
      { ascVersion: "asc test" },
    );
    const res = await compileAs(project, join(workDir, "m.wasm"));
    expect(res.diagnostics.length).toBeGreaterThan(0);
    const d = res.diagnostics[0]!;
    expect(d.code).toBe("DCM_COMPILE_FAILED");
    expect(d.fragment).toBe("wrong");
    expect(d.pos).toMatchObject({ file: I, line: 6 });
    expect(d.message).toMatch(/fragment `wrong`: asc: .*not assignable/);
  }, 120_000);

  test("no asc -> DCM_TOOLCHAIN_MISSING naming the fix", async () => {
    const { project, workDir } = await generate();
    const driver = createAscToolchain({ asc: "/nonexistent/assemblyscript/bin/asc.js" });
    expect(await driver.detect()).toBeNull();
    await expect(driver.version()).rejects.toThrow(/DCM_TOOLCHAIN_MISSING/);
    const res = await compileAs(project, join(workDir, "m.wasm"), { driver });
    expect(res.diagnostics[0]!.code).toBe("DCM_TOOLCHAIN_MISSING");
    expect(res.diagnostics[0]!.suggestion).toContain("toolchains/assemblyscript/install.sh");
  });
});
