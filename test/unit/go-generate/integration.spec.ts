/**
 * The real Go analysis feeding the generator: analyze fixtures/mod1 from
 * CFD-like fragments, generate and build the wasm module, and call it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { analyzeGo } from "../../../languages/go/analysis/analyze-go.js";
import { generateGo } from "../../../languages/go/generate/generate-go.js";
import { compileGo } from "../../../languages/go/toolchain/compile-go.js";
import { goToolchain } from "../../../languages/go/toolchain/go-toolchain.js";
import type { AnalyzeRequest } from "../../../src/languages/adapter-types.js";
import { MOD1 } from "./fixture-analysis.js";
import { wasiStub } from "./wasi-stub.js";
import { frame, hex, w } from "./wire.js";

const haveGo = (await goToolchain.detect()) !== null;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Frag = AnalyzeRequest["fragments"][number];
function frag(id: string, file: string, name: string, kind?: Frag["kind"]): Frag {
  const pos = { file: "dcm.yaml", line: 1, col: 1 };
  return {
    id,
    name,
    runOn: "client",
    file,
    location: { filepath: file },
    positions: { fragment: pos },
    ...(kind ? { kind } : {}),
  };
}

describe.skipIf(!haveGo)("analysis → generate → build", () => {
  test("fixtures/mod1 analyzed by languages/go/analysis builds and runs", async () => {
    const fragments = [
      frag("add", "shared/shared.go", "Add"),
      frag("describe", "shared/shared.go", "Describe"),
      frag("promote", "shared/shared.go", "Employee.Promote"),
      frag("checksum", "shared/shared.go", "Checksum"),
      frag("greet", "cmd/app/main.go", "Greet"),
    ];
    const analysis = await analyzeGo({ repo: MOD1, fragments });
    expect(analysis.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const work = mkdtempSync(join(tmpdir(), "dcm-go-int-"));
    dirs.push(work);
    const project = await generateGo(
      { repo: MOD1, analysis, fragments: analysis.fragments, side: "client", workDir: work },
      "wasm",
    );
    const r = await compileGo(project, "wasm", join(work, "go.wasm"));
    expect(r.diagnostics).toEqual([]);

    const module = await WebAssembly.compile(readFileSync(r.file));
    const wasi = wasiStub(module);
    const instance = await WebAssembly.instantiate(module, wasi.imports);
    const ex = instance.exports as Record<string, (...a: unknown[]) => unknown> & { memory: WebAssembly.Memory };
    wasi.bind(ex.memory);
    ex._initialize!();
    const call = (id: string, args: Uint8Array) => {
      const ptr = (ex.dcm_in!(args.length) as number) >>> 0;
      new Uint8Array(ex.memory.buffer, ptr, args.length).set(args);
      const n = ex[project.exports[id]!]!(args.length) as number;
      return new Uint8Array(ex.memory.buffer, (ex.dcm_out!() as number) >>> 0, n).slice();
    };
    expect(ex[project.exports.add!]!(1n, 2n)).toBe(3n);
    expect(hex(call("greet", w().str("x").done()))).toBe(hex(frame(0, (x) => x.str("hello x"))));
    expect(hex(call("checksum", w().u32(2).raw([1, 2]).done()))).toBe(hex(frame(0, (x) => x.i64(3n))));
  });
});
