/**
 * Builds the hand-written Go fixture (fixtures/abi-go) for both targets and
 * describes it as a manifest would. Builds are cached in the OS temp folder
 * by a hash of the sources, so several spec files share one build.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ManifestFragment, ManifestModule } from "../../../runtime/abi/manifest-types.js";
import type { LoadRequest } from "../../../runtime/abi/module-types.js";
import type { CallAbi, Signature, TypeTable, VType } from "../../../runtime/abi/value-types.js";

/** Next to this file, or (when compiled into build/) in the source tree. */
export const FIXTURE_DIR = [
  new URL("./fixtures/abi-go/", import.meta.url),
  new URL("../../../../test/unit/runtime/fixtures/abi-go/", import.meta.url),
]
  .map((u) => fileURLToPath(u))
  .find((d) => existsSync(d))!;

const i32: VType = { kind: "int", bits: 32, signed: true };
const i64: VType = { kind: "int", bits: 64, signed: true };
const u32: VType = { kind: "int", bits: 32, signed: false };
const u64: VType = { kind: "int", bits: 64, signed: false };
const str: VType = { kind: "string" };

function frag(id: string, abi: CallAbi, signature: Signature): ManifestFragment {
  return {
    id,
    language: "go",
    kind: "function",
    symbol: id,
    source: { file: "main.go", line: 1 },
    runOn: "client",
    signature,
    abi,
    export: `f_${id}`,
    flags: { idempotent: true, stateful: false },
    deps: { fragments: [], libs: [], globalVars: [], typeDefs: [] },
  };
}

const p = (name: string, type: VType, variadic = false) => ({ name, type, ...(variadic ? { variadic } : {}) });

export const NOT_CALLABLE_REASON =
  "fragment helper (`helper`) has no `runOn`: it is a dependency, not an entry point; add `runOn: client|server` to call it";

export const FRAGMENTS: ManifestFragment[] = [
  frag("add", "scalar", { params: [p("a", i64), p("b", i64)], results: [i64], error: false }),
  frag("boom", "scalar", { params: [p("x", i32)], results: [i32], error: false }),
  frag("mix", "scalar", {
    params: [
      p("b", { kind: "bool" }),
      p("u", u32),
      p("f", { kind: "float", bits: 32 }),
      p("d", { kind: "float", bits: 64 }),
    ],
    results: [u64],
    error: false,
  }),
  frag("not_u32", "scalar", { params: [p("u", u32)], results: [u32], error: false }),
  frag("echo", "buffer", { params: [p("s", str)], results: [str], error: true }),
  frag("sum", "buffer", { params: [p("xs", { kind: "list", elem: i32 }, true)], results: [i64], error: false }),
  frag("repeat", "buffer", { params: [p("s", str), p("n", i32)], results: [str], error: false }),
  frag("chatter", "buffer", { params: [p("s", str)], results: [str], error: true }),
  /** WASM only: kills the Go runtime. The native plugin does not export it. */
  frag("crash", "buffer", { params: [], results: [], error: false }),
  {
    ...frag("Config", "buffer", { params: [], results: [], error: false }),
    kind: "type",
    signature: undefined,
    abi: undefined,
    export: undefined,
  },
  /** As `dcm build` writes a function it cannot call: no signature or export, the reason instead. */
  {
    ...frag("helper", "buffer", { params: [], results: [], error: false }),
    signature: undefined,
    abi: undefined,
    export: undefined,
    notCallable: NOT_CALLABLE_REASON,
  },
];

export const TYPES: TypeTable = {};

function sourceHash(): string {
  const h = createHash("sha256");
  for (const f of readdirSync(FIXTURE_DIR).sort()) h.update(f).update(readFileSync(join(FIXTURE_DIR, f)));
  return h.digest("hex").slice(0, 16);
}

function build(out: string, env: Record<string, string>): void {
  if (existsSync(out)) return;
  const dir = join(tmpdir(), "dcm-abi-go-fixture");
  mkdirSync(dir, { recursive: true });
  const tmp = mkdtempSync(join(dir, "build-"));
  try {
    execFileSync("go", ["build", "-buildmode=c-shared", "-o", join(tmp, "out"), "."], {
      cwd: FIXTURE_DIR,
      env: { ...process.env, GOFLAGS: "-mod=mod", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    renameSync(join(tmp, "out"), out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Path of the built module, building it when needed. */
export function buildFixture(target: "wasm" | "native"): string {
  const dir = join(tmpdir(), "dcm-abi-go-fixture");
  const out = join(dir, `${sourceHash()}.${target === "wasm" ? "wasm" : "so"}`);
  build(out, target === "wasm" ? { GOOS: "wasip1", GOARCH: "wasm", CGO_ENABLED: "0" } : { CGO_ENABLED: "1" });
  return out;
}

export function loadRequest(target: "wasm" | "native", path: string): LoadRequest {
  const module: ManifestModule = {
    language: "go",
    target,
    sides: target === "wasm" ? ["client", "server"] : ["server"],
    file: target === "wasm" ? "client/go.wasm" : "server/go.so",
    sha256: "",
    size: 0,
    abiVersion: 1,
    toolchain: "test",
    fragments: [],
  };
  const fragments = target === "wasm" ? FRAGMENTS : FRAGMENTS.filter((f) => f.id !== "crash");
  const req: LoadRequest = { module, fragments, types: TYPES };
  module.fragments = fragments.map((f) => f.id);
  if (target === "wasm") req.bytes = new Uint8Array(readFileSync(path));
  else req.path = path;
  return req;
}
