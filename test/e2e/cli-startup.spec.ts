/**
 * The bundled CLI loads only what a command uses (issue 8, section 6): the
 * real `bin/dcm.js` in a child process whose module loads are logged
 * (test/support/load-log). Behaviour only: how fast it starts is
 * bench/startup.ts's business.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DCM_BIN, ROOT } from "../support/run-cli.js";

const HOOK = join(ROOT, "test/support/load-log/register.mjs");
const LANGUAGES = ["go", "assemblyscript", "rust", "typescript"];
/** npm packages no command needs unless it compiles, serves or handles that language. */
const HEAVY = ["tree-sitter-typescript", "tree-sitter-rust", "typescript", "assemblyscript", "esbuild", "fastify", "ws", "koffi"];

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-startup-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

interface Loads {
  code: number;
  stdout: string;
  /** npm packages loaded (by folder under node_modules). */
  packages: Set<string>;
  /** Files of build/cli/ loaded. */
  chunks: Set<string>;
}

let runs = 0;
function loadsOf(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Loads> {
  const log = join(scratch, `loads-${runs++}.txt`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", HOOK, DCM_BIN, ...args],
      { cwd: ROOT, env: { ...process.env, ...env, DCM_LOAD_LOG: log }, maxBuffer: 16 << 20 },
      async (err, stdout) => {
        const text = await readFile(log, "utf8").catch(() => "");
        const packages = new Set<string>();
        const chunks = new Set<string>();
        for (const line of text.split("\n")) {
          const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
          if (pkg) packages.add(pkg[1]!);
          const chunk = /\/build\/cli\/([^/]+\.js)$/.exec(line);
          if (chunk) chunks.add(chunk[1]!);
        }
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, packages, chunks });
      },
    );
  });
}

const adapters = (l: Loads) => LANGUAGES.filter((id) => l.chunks.has(`${id}-adapter.js`));

describe("the bundled CLI loads only what the command uses", () => {
  it("`dcm --help` runs the bundle and loads no adapter, parser, compiler or server package", async () => {
    const l = await loadsOf(["--help"]);
    expect(l.code).toBe(0);
    expect(l.stdout).toContain("Usage:");
    expect(l.chunks.has("dcm.js")).toBe(true);
    expect(adapters(l)).toEqual([]);
    expect([...l.packages].filter((p) => p.startsWith("tree-sitter") || HEAVY.includes(p))).toEqual([]);
  });

  it("`dcm analyze` of a Go-only CFD loads the Go adapter and tree-sitter-go only; warm, not even tree-sitter", async () => {
    const env = { DCM_CACHE_DIR: join(scratch, "cache-go") };
    const args = ["analyze", "examples/go-shop", "--cfd", "examples/go-shop/dcm.yaml", "--json"];
    const cold = await loadsOf(args, env);
    expect(cold.code).toBe(0);
    expect(JSON.parse(cold.stdout).filesParsed).toBeGreaterThan(0);
    expect(adapters(cold)).toEqual(["go"]);
    expect(cold.packages.has("tree-sitter-go")).toBe(true);
    expect([...cold.packages].filter((p) => HEAVY.includes(p))).toEqual([]);

    // Every file it needs is in the persisted parse cache now: no parser at all.
    const warm = await loadsOf(args, env);
    expect(warm.code).toBe(0);
    expect(JSON.parse(warm.stdout).filesParsed).toBe(0);
    expect(JSON.parse(warm.stdout).fragments).toEqual(JSON.parse(cold.stdout).fragments);
    expect(adapters(warm)).toEqual(["go"]);
    expect([...warm.packages].filter((p) => p.startsWith("tree-sitter"))).toEqual([]);
  });

  it("a CFD with fragments in all four languages loads the four adapters and their grammars", async () => {
    const l = await loadsOf(["analyze", "examples/polyglot", "--cfd", "examples/polyglot/dcm.yaml", "--json"], {
      DCM_CACHE_DIR: join(scratch, "cache-poly"),
    });
    expect(l.code).toBe(0);
    expect(adapters(l).sort()).toEqual([...LANGUAGES].sort());
    for (const p of ["tree-sitter-go", "tree-sitter-rust", "tree-sitter-typescript"]) expect(l.packages).toContain(p);
    expect(l.packages.has("fastify")).toBe(false);
  });

  it("`dcm key` prints a key without loading the server", async () => {
    const l = await loadsOf(["key"]);
    expect(l.code).toBe(0);
    expect(l.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(l.packages.has("fastify")).toBe(false);
    expect(adapters(l)).toEqual([]);
  });
});
