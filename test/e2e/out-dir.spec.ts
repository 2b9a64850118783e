/**
 * `dcm build --out` never destroys: the real CLI against folders of user
 * files, the repository, its ancestors, the current folder, a plain file,
 * /proc and /, a previous dist (replaced), an interrupted build (SIGINT: no
 * temporaries left) and the leftovers of a killed one (removed by the next
 * build). The builds use the small Go fixture and the real Go toolchain.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DCM_BIN, ROOT, runCli } from "../support/run-cli.js";

const FIX = join(ROOT, "test/e2e/fixtures");
let scratch: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-out-"));
  env = { ...process.env, DCM_CACHE_DIR: join(scratch, "cache") };
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

async function freshDir(name: string): Promise<string> {
  const dir = join(scratch, `${name}-${Math.random().toString(36).slice(2, 8)}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A copy of the small Go fixture inside `parent`. */
async function repoIn(parent: string): Promise<string> {
  const repo = join(parent, "repo");
  await cp(join(FIX, "small"), repo, { recursive: true });
  return repo;
}

/** Every file under `dir` with its content: what the user would compare before and after. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    out[relative(dir, full)] = await readFile(full, "utf8");
  }
  return out;
}

const build = (repo: string, out: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) =>
  runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out], { env: opts.env ?? env, cwd: opts.cwd });

function expectRefused(r: { code: number; stderr: string }, code: string, what: RegExp) {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).toContain(`error ${code}:`);
  expect(r.stderr).toMatch(what);
  expect(r.stderr).toContain("fix:");
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

/** Entries of `dir` that are a build's temporaries. */
const temporaries = async (dir: string) =>
  (await readdir(dir).catch(() => [] as string[])).filter((n) => n.includes(".tmp-"));

/** The pid of a process that has ended. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.on("exit", r));
  return child.pid!;
}

describe("dcm build --out refuses what it did not make", () => {
  it("a folder of user files: refused, every file untouched", async () => {
    const home = await freshDir("user");
    const repo = await repoIn(home);
    const out = join(home, "photos");
    await mkdir(join(out, "2026"), { recursive: true });
    await writeFile(join(out, "notes.txt"), "my notes\n");
    await writeFile(join(out, "2026/trip.txt"), "a trip\n");
    const before = await snapshot(out);
    expectRefused(await build(repo, out), "DCM_OUT_UNSAFE", /photos holds files dcm did not write \(.*notes\.txt/);
    expect(await snapshot(out)).toEqual(before);
    expect(await temporaries(home)).toEqual([]);
  });

  it("`--out .`: the current folder is refused, even when it is empty", async () => {
    const home = await freshDir("cwd");
    const repo = await repoIn(home);
    const before = await snapshot(home);
    expectRefused(
      await build(repo, ".", { cwd: home }),
      "DCM_OUT_UNSAFE",
      /holds the repository|is the current folder/,
    );
    expect(await snapshot(home)).toEqual(before);
    const empty = await freshDir("empty-cwd");
    expectRefused(await build(repo, ".", { cwd: empty }), "DCM_OUT_UNSAFE", /is the current folder/);
    expect(await readdir(empty)).toEqual([]);
  });

  it("the repository, and any folder above it, are refused with the repository untouched", async () => {
    const home = await freshDir("repo");
    const repo = await repoIn(home);
    const before = await snapshot(home);
    expectRefused(await build(repo, repo), "DCM_OUT_UNSAFE", /repo is the repository/);
    expectRefused(await build(repo, home), "DCM_OUT_UNSAFE", /holds the repository \(repo\)/);
    expectRefused(await build(repo, scratch), "DCM_OUT_UNSAFE", /holds the repository/);
    expect(await snapshot(home)).toEqual(before);
  });

  it("a plain file is refused and keeps its content", async () => {
    const home = await freshDir("file");
    const repo = await repoIn(home);
    const file = join(home, "report.pdf");
    await writeFile(file, "not a folder\n");
    expectRefused(await build(repo, file), "DCM_OUT_UNSAFE", /report\.pdf is a file, not a folder/);
    expect(await readFile(file, "utf8")).toBe("not a folder\n");
  });

  it("`/` and `/proc/x` are diagnostics, not stack traces", async () => {
    const repo = await repoIn(await freshDir("root"));
    expectRefused(await build(repo, "/"), "DCM_OUT_UNSAFE", /--out \/ is the root of the file system/);
    expectRefused(await build(repo, "/proc/x"), "DCM_BUILD_OUTPUT", /Cannot write the dist at \/proc\/x/);
    // A folder nobody may write into (sysfs refuses even root): EPERM is a diagnostic too.
    expectRefused(await build(repo, "/sys/x"), "DCM_BUILD_OUTPUT", /Cannot write the dist at \/sys\/x \(EPERM/);
  });
});

describe("dcm build --out replaces its own dist", () => {
  it("an empty folder is used; a previous dist is replaced; a dist with a user's file in it is refused", async () => {
    const home = await freshDir("replace");
    const repo = await repoIn(home);
    const out = join(home, "dist");
    await mkdir(out);
    const first = await build(repo, out);
    expect(first.code, first.stderr).toBe(0);
    expect((await readFile(join(out, ".dcm-dist"), "utf8")).split("\n")[0]).toBe("dcm-dist 1");
    const manifest1 = JSON.parse(await readFile(join(out, "manifest.json"), "utf8"));

    // A file the user put into the dist would be lost: refused, and kept.
    await writeFile(join(out, "client/mine.txt"), "keep me\n");
    const cfd = join(repo, "dcm.yaml");
    await writeFile(cfd, (await readFile(cfd, "utf8")).replace("runOn: server", "runOn: client"));
    expectRefused(
      await build(repo, out),
      "DCM_OUT_UNSAFE",
      /dcm dist that also holds files dcm did not write \(client\/mine\.txt\)/,
    );
    expect(await readFile(join(out, "client/mine.txt"), "utf8")).toBe("keep me\n");

    await rm(join(out, "client/mine.txt"));
    const second = await build(repo, out);
    expect(second.code, second.stderr).toBe(0);
    const manifest2 = JSON.parse(await readFile(join(out, "manifest.json"), "utf8"));
    expect(manifest2.buildKey).not.toBe(manifest1.buildKey);
    expect(manifest2.fragments.find((f: { id: string }) => f.id === "shout").runOn).toBe("client");
    expect(await temporaries(home)).toEqual([]);

    // A dist of an older dcm (no marker) is recognised by its manifest and replaced, marker added.
    await rm(join(out, ".dcm-dist"));
    await writeFile(
      cfd,
      (await readFile(cfd, "utf8")).replace(
        "id: shout\n    name: Shout\n    runOn: client",
        "id: shout\n    name: Shout\n    runOn: server",
      ),
    );
    const third = await build(repo, out);
    expect(third.code, third.stderr).toBe(0);
    expect(existsSync(join(out, ".dcm-dist"))).toBe(true);
    const inv = await runCli(["invoke", out, "add", "--args", "[2, 3]", "--on", "client"]);
    expect(inv.stdout.trim()).toBe("5");
  });
});

describe("temporaries", () => {
  /** Starts a real build with a cold Go build cache (compiling takes seconds) and resolves once it has a staging folder and a compiler work folder. */
  async function startBuild(name: string, detached = false) {
    const home = await freshDir(name);
    const repo = await repoIn(home);
    const out = join(home, "dist");
    const cache = join(home, "cache");
    const childEnv = { ...process.env, DCM_CACHE_DIR: cache, GOCACHE: join(home, "gocache") };
    const child = spawn(process.execPath, [DCM_BIN, "build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", out], {
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached,
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.on("exit", (code, signal) => r({ code, signal })),
    );
    let running = true;
    void exited.then(() => (running = false));
    while (
      running &&
      ((await temporaries(home)).length === 0 || (await readdir(join(cache, "work")).catch(() => [])).length === 0)
    ) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(running, `the build ended before it could be interrupted: ${stderr}`).toBe(true);
    return { home, repo, out, cache, child, exited, stderr: () => stderr };
  }

  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s in the middle of a real build: exit %i, no staging, work or cache temporaries left",
    async (signal, exitCode) => {
      const b = await startBuild(signal.toLowerCase());
      b.child.kill(signal);
      const { code } = await b.exited;
      expect(code, b.stderr()).toBe(exitCode);
      expect(b.stderr()).toContain(`stopped by ${signal}`);
      expect(existsSync(b.out)).toBe(false);
      expect(await temporaries(b.home)).toEqual([]);
      expect(await readdir(join(b.cache, "work"))).toEqual([]);
      expect(await temporaries(join(b.cache, "modules"))).toEqual([]);
      await rm(join(b.home, "gocache"), { recursive: true, force: true });
    },
  );

  it("SIGKILL in the middle of a real build leaves temporaries; the next build removes them and succeeds", async () => {
    // The whole process group, as a CI timeout or `kill -9 -<pgid>` does: no compiler outlives the build.
    const b = await startBuild("sigkill", true);
    process.kill(-b.child.pid!, "SIGKILL");
    expect((await b.exited).signal).toBe("SIGKILL");
    const left = await temporaries(b.home);
    expect(left.length).toBeGreaterThan(0);
    expect((await readdir(join(b.cache, "work"))).length).toBeGreaterThan(0);
    // The next build (Go's usual build cache: no need to compile the standard library again).
    const r = await build(b.repo, b.out, { env: { ...process.env, DCM_CACHE_DIR: b.cache } });
    expect(r.code, r.stderr).toBe(0);
    expect(await temporaries(b.home)).toEqual([]);
    expect(await readdir(join(b.cache, "work"))).toEqual([]);
    expect(await temporaries(join(b.cache, "modules"))).toEqual([]);
    expect(existsSync(join(b.out, ".dcm-dist"))).toBe(true);
    await rm(join(b.home, "gocache"), { recursive: true, force: true });
  });

  it("leftovers of a killed build (a pid that no longer runs) are removed by the next build; a live build's are kept", async () => {
    const home = await freshDir("stale");
    const repo = await repoIn(home);
    const out = join(home, "dist");
    const cache = join(home, "cache");
    const dead = await deadPid();
    const live = process.pid;
    await mkdir(join(home, `.dist.tmp-${dead}-abc123/client`), { recursive: true });
    await writeFile(join(home, `.dist.tmp-${dead}-abc123/client/go.wasm`), "half a module");
    await mkdir(join(home, `.dist.tmp-${live}-def456`), { recursive: true });
    await mkdir(join(cache, `work/go-wasm.tmp-${dead}-xyz`), { recursive: true });
    await mkdir(join(cache, "modules"), { recursive: true });
    await writeFile(join(cache, `modules/go-wasm-0123.wasm.tmp-${dead}`), "partial");
    const r = await build(repo, out, { env: { ...process.env, DCM_CACHE_DIR: cache } });
    expect(r.code, r.stderr).toBe(0);
    expect(await temporaries(home)).toEqual([`.dist.tmp-${live}-def456`]);
    expect(await readdir(join(cache, "work"))).toEqual([]);
    expect(await temporaries(join(cache, "modules"))).toEqual([]);
    expect((await stat(join(out, "manifest.json"))).isFile()).toBe(true);
  });
});
