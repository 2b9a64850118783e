/**
 * `dcm build` runs every toolchain in core's sandbox by default (real
 * toolchains, real bubblewrap): a hostile build.rs of a Rust path dependency
 * reaches neither the network (a server this test opens sees nothing) nor
 * files outside the repository ($HOME, the real /tmp); imports and includes of
 * files outside the repository fail naming the file; edits to a Go `replace`
 * target or a Rust path dependency rebuild (not "from cache"); and without
 * bubblewrap the build is refused unless --no-sandbox.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findBwrap } from "../../toolchains/sandbox.js";
import { helperLib, hostileCrate, ISOLATED_PROBE } from "../support/hostile-crate.js";
import { runCli } from "../support/run-cli.js";

const bwrap = await findBwrap();
let scratch: string;
let env: NodeJS.ProcessEnv;
let outsideFile: string;
let homeFile: string;

interface BuildJson {
  ok?: boolean;
  upToDate?: boolean;
  modulesCompiled?: number;
  diagnostics: Array<{ code: string; message: string; pos?: { file: string; line: number } }>;
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
}

async function build(repo: string, out: string, extra: string[] = [], more: NodeJS.ProcessEnv = {}) {
  const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", join(scratch, out), "--json", ...extra], {
    env: { ...env, ...more },
  });
  let json: BuildJson = { diagnostics: [] };
  try {
    json = JSON.parse(r.stdout) as BuildJson;
  } catch {
    // stays empty: the assertions show stderr
  }
  return { ...r, json };
}

async function invoke(out: string, fragment: string, on: "client" | "server"): Promise<string> {
  const r = await runCli(["invoke", join(scratch, out), fragment, "--args", "[]", "--on", on], { env });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim();
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-sandbox-e2e-"));
  outsideFile = join(scratch, "outside", "secret.txt");
  await writeTree(scratch, {
    "outside/secret.txt": "outside secret",
    "outside/secret.json": JSON.stringify({ key: "outside secret" }),
  });
  homeFile = join(homedir(), `.dcm-sandbox-e2e-${process.pid}`);
  await writeFile(homeFile, "home secret");
  env = { ...process.env, DCM_CACHE_DIR: join(scratch, "cache"), DCM_RUST_BINDGEN: "0" };
  delete env.DCM_SANDBOX;
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
  if (homeFile) await rm(homeFile, { force: true });
});

describe.skipIf(!bwrap)("the sandboxed build", () => {
  it("refuses a TypeScript import of a file outside the repository, naming it", async () => {
    const repo = join(scratch, "ts-repo");
    await writeTree(repo, {
      "src/leak.ts": 'import data from "../../outside/secret.json";\n\nexport function leak(): string {\n  return data.key;\n}\n',
      "dcm.yaml": "fragments:\n  - { id: leak, name: leak, runOn: client, location: { filepath: src/leak.ts } }\n",
    });
    const r = await build(repo, "ts-dist");
    expect(r.code, r.stderr).toBe(1);
    const d = r.json.diagnostics.find((x) => x.code === "DCM_OUTSIDE_REPOSITORY");
    expect(d, r.stdout + r.stderr).toBeDefined();
    expect(d!.message).toContain(join(scratch, "outside", "secret.json"));
    expect(d!.pos?.file).toMatch(/src\/leak\.ts$/);
    expect(d!.pos?.line).toBe(1);
  }, 60_000);

  it("refuses an AssemblyScript import of a file outside the repository, naming it", async () => {
    const repo = join(scratch, "as-repo");
    await writeTree(scratch, { "outside/lib.ts": "export function secret(): i32 {\n  return 7;\n}\n" });
    await writeTree(repo, {
      "assembly/index.ts": 'import { secret } from "../../outside/lib";\n\nexport function leak(): i32 {\n  return secret();\n}\n',
      "dcm.yaml": "fragments:\n  - { id: leak, name: leak, runOn: client, location: { filepath: assembly/index.ts } }\n",
    });
    const r = await build(repo, "as-dist");
    expect(r.code, r.stderr).toBe(1);
    const d = r.json.diagnostics.find((x) => x.code === "DCM_OUTSIDE_REPOSITORY");
    expect(d, r.stdout + r.stderr).toBeDefined();
    expect(d!.message).toContain(join(scratch, "outside", "lib.ts"));
    expect(d!.pos?.file).toMatch(/assembly\/index\.ts$/);
    expect(d!.pos?.line).toBe(1);
  }, 60_000);

  it("refuses a Rust include_str! of a file outside the repository, naming it", async () => {
    const repo = join(scratch, "rust-include");
    await writeTree(repo, {
      "Cargo.toml": '[package]\nname = "leaky"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\npath = "src/lib.rs"\n',
      "src/lib.rs": `pub fn leak() -> String {\n    include_str!(${JSON.stringify(outsideFile)}).to_string()\n}\n`,
      "dcm.yaml": "fragments:\n  - { id: leak, name: leak, runOn: server, location: { filepath: src/lib.rs } }\n",
    });
    const r = await build(repo, "include-dist");
    expect(r.code, r.stderr).toBe(1);
    const d = r.json.diagnostics.find((x) => x.code === "DCM_OUTSIDE_REPOSITORY");
    expect(d, r.stdout + r.stderr).toBeDefined();
    expect(d!.message).toContain(outsideFile);
    expect(d!.pos).toMatchObject({ line: 2 });
    expect(d!.pos!.file).toMatch(/src\/lib\.rs$/);
  }, 240_000);

  describe("a Rust crate with a hostile build.rs in a path dependency and a registry dependency", () => {
    let server: Server;
    let connections = 0;
    const repo = () => join(scratch, "rust-hostile");
    beforeAll(async () => {
      server = createServer((s) => {
        connections++;
        s.end();
      });
      await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
      const port = (server.address() as { port: number }).port;
      await writeTree(repo(), hostileCrate({ port, outsideFile, homeFile }));
    });
    afterAll(() => server?.close());

    it("builds, and the build script reached neither the network nor files outside the repository", async () => {
      const r = await build(repo(), "rust-dist");
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const expected = JSON.stringify(ISOLATED_PROBE);
      expect(await invoke("rust-dist", "probe", "server")).toBe(expected);
      expect(await invoke("rust-dist", "probe", "client")).toBe(expected);
      expect(connections).toBe(0);
      expect(await invoke("rust-dist", "value", "client")).toBe(JSON.stringify("41"));
    }, 600_000);

    it("rebuilds after an edit of the path dependency", async () => {
      await writeFile(join(repo(), "helper/src/lib.rs"), helperLib(42));
      const r = await build(repo(), "rust-dist");
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.json.upToDate).toBe(false);
      expect(r.json.modulesCompiled).toBeGreaterThan(0);
      expect(await invoke("rust-dist", "value", "client")).toBe(JSON.stringify("42"));
      expect(await invoke("rust-dist", "value", "server")).toBe(JSON.stringify("42"));
    }, 600_000);
  });

  it("rebuilds a Go module after an edit of a `replace` target", async () => {
    const repo = join(scratch, "go-replace");
    const lib = (v: number) => `package lib\n\nfunc Value() int { return ${v} }\n`;
    await writeTree(repo, {
      "go.mod": "module example.com/app\n\ngo 1.24\n\nrequire example.com/lib v0.0.0\n\nreplace example.com/lib => ./lib\n",
      "lib/go.mod": "module example.com/lib\n\ngo 1.24\n",
      "lib/lib.go": lib(41),
      "app/app.go": 'package app\n\nimport "example.com/lib"\n\nfunc Answer() int { return lib.Value() }\n',
      "dcm.yaml": "fragments:\n  - { id: answer, name: Answer, runOn: server, location: { filepath: app/app.go } }\n",
    });
    const first = await build(repo, "go-dist");
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(await invoke("go-dist", "answer", "server")).toBe("41");
    expect(await invoke("go-dist", "answer", "client")).toBe("41");
    await writeFile(join(repo, "lib/lib.go"), lib(42));
    const second = await build(repo, "go-dist");
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.json.upToDate).toBe(false);
    expect(await invoke("go-dist", "answer", "server")).toBe("42");
    expect(await invoke("go-dist", "answer", "client")).toBe("42");
  }, 600_000);
});

describe("without bubblewrap", () => {
  it("refuses to build, saying how to install it; --no-sandbox builds with a loud warning", async () => {
    const repo = join(scratch, "ts-plain");
    await writeTree(repo, {
      "src/add.ts": "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
      "dcm.yaml": "fragments:\n  - { id: add, name: add, runOn: client, location: { filepath: src/add.ts } }\n",
    });
    const refused = await build(repo, "plain-dist", [], { DCM_BWRAP: "/nonexistent/bwrap" });
    expect(refused.code).toBe(1);
    const d = refused.json.diagnostics.find((x) => x.code === "DCM_SANDBOX_UNAVAILABLE");
    expect(d, refused.stdout + refused.stderr).toBeDefined();
    expect(d!.message).toContain("/nonexistent/bwrap");
    const trusted = await build(repo, "plain-dist", ["--no-sandbox"], { DCM_BWRAP: "/nonexistent/bwrap" });
    expect(trusted.code, trusted.stderr).toBe(0);
    expect(trusted.stderr).toMatch(/WARNING: --no-sandbox.*For trusted code only/s);
    const r = await runCli(["invoke", join(scratch, "plain-dist"), "add", "--args", "[2, 3]", "--on", "client"], { env });
    expect(r.stdout.trim()).toBe("5");
  }, 120_000);
});
