/**
 * `dcm build --driver container` for real (Podman with runc, dcm's image
 * built from Debian packages and this machine's toolchains): the image is
 * built once (skipped when its tag exists), the Go example compiles through
 * the container and its modules answer every case exactly as a sandbox
 * build's do; a hostile build.rs sees no network and no host files; a build
 * script that never ends is stopped at the wall-time limit and its container
 * is gone, one that allocates without end at the memory limit; without an engine the build is refused with DCM_CONTAINER_UNAVAILABLE.
 */
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { homedir, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineRun, findEngine } from "../../toolchains/container/engine.js";
import { ensureImage, imagePlan } from "../../toolchains/container/image.js";
import { hostileCrate, ISOLATED_PROBE } from "../support/hostile-crate.js";
import { ROOT, runCli } from "../support/run-cli.js";

const engine = await findEngine().catch(() => null);
const EXAMPLE = join(ROOT, "examples", "go-shop");
let scratch: string;
let env: NodeJS.ProcessEnv;

interface BuildJson {
  ok?: boolean;
  modulesCompiled?: number;
  modulesFromCache?: number;
  modules?: Array<{ file: string; sha256: string }>;
  diagnostics: Array<{ code: string; message: string }>;
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
}

/** `dcm build --json` with its own module cache (so that nothing comes from another driver's build). */
async function build(repo: string, out: string, driver: string, more: NodeJS.ProcessEnv = {}) {
  const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", join(scratch, out), "--json", "--driver", driver], {
    env: { ...env, DCM_CACHE_DIR: join(scratch, `cache-${out}`), ...more },
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

const sha256 = async (file: string) => createHash("sha256").update(await readFile(file)).digest("hex");

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-container-e2e-"));
  env = { ...process.env, DCM_RUST_BINDGEN: "0" };
  delete env.DCM_SANDBOX;
  delete env.DCM_SANDBOX_LIMITS;
  if (!engine) return;
  // Built once per machine and toolchain set: later runs find the tag and skip this.
  const started = performance.now();
  const tag = await ensureImage((line) => {
    if (/^container image/.test(line)) console.log(line);
  });
  console.log(`container image ${tag} ready in ${Math.round((performance.now() - started) / 1000)} s`);
}, 1_800_000);
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe.skipIf(!engine)("the container driver", () => {
  it("builds the Go example in a container; every case answers as in a sandbox build, byte-equal modules", async () => {
    const c = await build(EXAMPLE, "go-container", "container");
    expect(c.code, c.stdout + c.stderr).toBe(0);
    expect(c.json.modulesCompiled).toBe(2);
    const s = await build(EXAMPLE, "go-sandbox", "sandbox");
    expect(s.code, s.stdout + s.stderr).toBe(0);
    expect(c.json.modules!.map((m) => m.file).sort()).toEqual(s.json.modules!.map((m) => m.file).sort());
    for (const m of c.json.modules!) {
      expect(await sha256(join(scratch, "go-container", m.file)), m.file).toBe(await sha256(join(scratch, "go-sandbox", m.file)));
    }
    const cases = join(EXAMPLE, "invoke-cases.json");
    for (const on of ["client", "server"] as const) {
      const fromContainer = await runCli(["invoke", join(scratch, "go-container"), "--batch", cases, "--on", on], { env });
      const fromSandbox = await runCli(["invoke", join(scratch, "go-sandbox"), "--batch", cases, "--on", on], { env });
      expect(fromContainer.code, fromContainer.stderr).toBe(0);
      expect(fromContainer.stdout.split("\n").filter(Boolean).length).toBeGreaterThan(40);
      expect(fromContainer.stdout).toBe(fromSandbox.stdout);
    }
  }, 900_000);

  describe("a Rust crate with a hostile build.rs", () => {
    let server: Server;
    let connections = 0;
    let outsideFile: string;
    let homeFile: string;

    beforeAll(async () => {
      server = createServer((s) => {
        connections++;
        s.end();
      });
      await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
      outsideFile = join(scratch, "outside", "secret.txt");
      await writeTree(scratch, { "outside/secret.txt": "outside secret" });
      homeFile = join(homedir(), `.dcm-container-e2e-${process.pid}`);
      await writeFile(homeFile, "home secret");
    });
    afterAll(async () => {
      server?.close();
      if (homeFile) await rm(homeFile, { force: true });
    });

    it("builds in the container, and the build script reached neither the network nor host files", async () => {
      const repo = join(scratch, "rust-hostile");
      const port = (server.address() as { port: number }).port;
      await writeTree(repo, hostileCrate({ port, outsideFile, homeFile }));
      const r = await build(repo, "rust-dist", "container");
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.json.modulesCompiled).toBeGreaterThan(0);
      const expected = JSON.stringify(ISOLATED_PROBE);
      expect(await invoke("rust-dist", "probe", "server")).toBe(expected);
      expect(await invoke("rust-dist", "probe", "client")).toBe(expected);
      expect(connections).toBe(0);
      expect(await invoke("rust-dist", "value", "client")).toBe(JSON.stringify("41"));
    }, 900_000);

    it("fails a Rust include_str! of a file outside the repository with DCM_OUTSIDE_REPOSITORY, naming it", async () => {
      const repo = join(scratch, "rust-include");
      await writeTree(repo, {
        "Cargo.toml": '[package]\nname = "leaky"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\npath = "src/lib.rs"\n',
        "src/lib.rs": `pub fn leak() -> String {\n    include_str!(${JSON.stringify(outsideFile)}).to_string()\n}\n`,
        "dcm.yaml": "fragments:\n  - { id: leak, name: leak, runOn: server, location: { filepath: src/lib.rs } }\n",
      });
      const r = await build(repo, "include-dist", "container");
      expect(r.code, r.stderr).toBe(1);
      const d = r.json.diagnostics.find((x) => x.code === "DCM_OUTSIDE_REPOSITORY");
      expect(d, r.stdout + r.stderr).toBeDefined();
      expect(d!.message).toContain(outsideFile);
    }, 600_000);

    it("stops a build script that never ends at the wall-time limit, and leaves no container running", async () => {
      const repo = join(scratch, "rust-loop");
      await writeTree(repo, hostileCrate({ port: 9, outsideFile, homeFile, registryDep: false, buildRsBody: ["    loop { std::thread::sleep(Duration::from_millis(50)); }"] }));
      const r = await build(repo, "loop-dist", "container", { DCM_SANDBOX_LIMITS: "wall=45" });
      expect(r.code).toBe(1);
      const d = r.json.diagnostics.find((x) => x.code === "DCM_SANDBOX_LIMIT");
      expect(d, r.stdout + r.stderr).toBeDefined();
      expect(d!.message).toContain("wall-time limit of 45 s");
      // This build's containers are those that mount its repository (other tests may run containers meanwhile).
      const ps = await engineRun(engine!, ["ps", "--all", "--filter", "name=dcm-step-", "--format", "{{.Names}} {{.Mounts}}"]);
      expect(ps.code, ps.stderr).toBe(0);
      expect(ps.stdout.split("\n").filter((l) => l.includes(repo))).toEqual([]);
    }, 600_000);
  });

  it("stops a build script past the container's memory limit", async () => {
    const repo = join(scratch, "rust-memory");
    await writeTree(
      repo,
      hostileCrate({
        port: 9,
        outsideFile: "/nonexistent",
        homeFile: "/nonexistent",
        registryDep: false,
        // 2 GiB touched page by page: far past the 512 MiB the container may use.
        buildRsBody: ["    let mut v: Vec<Vec<u8>> = Vec::new();", "    for _ in 0..2048 { v.push(vec![1u8; 1 << 20]); }", '    println!("cargo:rustc-env=DCM_PROBE={}", v.len());', "    let _ = Duration::from_secs(0);"],
      }),
    );
    const r = await build(repo, "memory-dist", "container", { DCM_SANDBOX_LIMITS: "memory=512" });
    expect(r.code).toBe(1);
    const d = r.json.diagnostics.find((x) => x.code === "DCM_SANDBOX_LIMIT");
    expect(d, r.stdout + r.stderr).toBeDefined();
    expect(d!.message).toContain("memory limit of 512 MiB for the whole container");
  }, 600_000);

  it("the image is dcm's own: labelled, and its tag covers the toolchains", async () => {
    const plan = await imagePlan();
    const r = await engineRun(engine!, ["image", "inspect", "--format", "{{index .Labels \"dcm.managed\"}}", plan.tag]);
    expect(r.stdout.trim()).toBe("true");
    expect(plan.roots.find((x) => x.context === "go")?.fingerprint).toMatch(/^go version go1\.\d+/);
  });
});

describe("without a container engine", () => {
  it("refuses `--driver container`, saying how to install one; rejects --no-sandbox with --driver container", async () => {
    const repo = join(scratch, "ts-plain");
    await writeTree(repo, {
      "src/add.ts": "export function add(a: number, b: number): number {\n  return a + b;\n}\n",
      "dcm.yaml": "fragments:\n  - { id: add, name: add, runOn: client, location: { filepath: src/add.ts } }\n",
    });
    const refused = await build(repo, "plain-dist", "container", { DCM_CONTAINER_ENGINE: "/nonexistent/podman" });
    expect(refused.code).toBe(1);
    const d = refused.json.diagnostics.find((x) => x.code === "DCM_CONTAINER_UNAVAILABLE");
    expect(d, refused.stdout + refused.stderr).toBeDefined();
    expect(d!.message).toContain("/nonexistent/podman");
    const usage = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", join(scratch, "x"), "--no-sandbox", "--driver", "container"], { env });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("--no-sandbox is `--driver local`");
    const bogus = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", join(scratch, "x"), "--driver", "docker"], { env });
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain("--driver must be sandbox, container or local");
  }, 120_000);
});
