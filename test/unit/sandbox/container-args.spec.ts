/**
 * The container driver's `run` arguments for a step: no network while
 * compiling (the host's in fetch steps, with its CA certificates), a
 * read-only root, inputs bound read-only and caches/scratch writable at the
 * same paths, toolchains the image holds not mounted, the sandbox's
 * environment allowlist (no secrets), the limits. The e2e test
 * (test/e2e/container-build.spec.ts) runs them for real.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { containerArgs, providedByImage } from "../../../toolchains/container/container-driver.js";
import type { ImageRoot } from "../../../toolchains/container/toolchain-roots.js";
import { DEFAULT_LIMITS, type ToolStep } from "../../../toolchains/sandbox.js";

let root: string;
const roots: ImageRoot[] = [
  { context: "go", target: "/usr/local/go", fingerprint: "go1" },
  { context: "rust-bin", target: "/opt/rustup/toolchains/stable/bin", covers: ["/opt/rustup/toolchains/stable"], fingerprint: "r" },
  { context: "rustup", covers: ["/opt/rustup"], fingerprint: "s" },
];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "dcm-container-args-"));
  for (const d of ["repo", "repo/target", "work", "gocache", "modcache"]) mkdirSync(join(root, d), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const step = (over: Partial<ToolStep> = {}): ToolStep => ({
  phase: "compile",
  label: "go build",
  command: "/usr/local/go/bin/go",
  args: ["build", "-o", "out.wasm", "."],
  cwd: join(root, "work"),
  inputs: [join(root, "repo"), "/usr/local/go", "/usr/local/go/bin", "/opt/rustup", "/usr/lib/x86_64-linux-gnu", join(root, "modcache")],
  caches: [join(root, "gocache"), join(root, "repo", "target")],
  scratch: [join(root, "work")],
  passEnv: ["GO*"],
  ...over,
});

const spec = { engine: { kind: "podman" as const }, image: "localhost/dcm-toolchains:x", roots, name: "dcm-step-1", limits: { ...DEFAULT_LIMITS, memoryBytes: 2 * 1024 ** 3, cpuSeconds: 100 } };
const mounts = (args: string[]) => args.flatMap((a, i) => (args[i - 1] === "--mount" ? [a] : []));

test("a compile step: no network, read-only root, its folders at the same paths, toolchains from the image", () => {
  const args = containerArgs(step(), "/usr/local/go/bin/go", spec);
  expect(args.slice(0, 3)).toEqual(["run", "--rm", "--pull=never"]);
  expect(args).toContain("--network=none");
  expect(args).toContain("--read-only");
  expect(args).toContain("--ulimit=nofile=1024:1024");
  expect(args).toContain("--ulimit=nproc=4096:4096");
  expect(args).toContain("--ulimit=cpu=100:105");
  expect(args).toContain("--memory=2048m");
  expect(args).toContain("--cap-drop=all");
  expect(args).toContain(`--workdir=${join(root, "work")}`);
  expect(mounts(args)).toEqual([
    `type=bind,source=${join(root, "repo")},destination=${join(root, "repo")},readonly`,
    `type=bind,source=${join(root, "work")},destination=${join(root, "work")}`,
    `type=bind,source=${join(root, "gocache")},destination=${join(root, "gocache")}`,
    `type=bind,source=${join(root, "modcache")},destination=${join(root, "modcache")},readonly`,
    `type=bind,source=${join(root, "repo", "target")},destination=${join(root, "repo", "target")}`,
  ]);
  const tail = args.slice(args.indexOf(spec.image));
  expect(tail).toEqual([spec.image, "/bin/sh", "-c", 'mkdir -p "$HOME" && exec "$@"', "sh", "/usr/local/go/bin/go", "build", "-o", "out.wasm", "."]);
});

test("the environment: the allowlist, HOME in the private /tmp, never a secret", () => {
  const saved = { ...process.env };
  process.env.GOFLAGS = "-mod=mod";
  process.env.GO_API_TOKEN = "secret";
  process.env.UNRELATED = "x";
  try {
    const env = containerArgs(step(), "go", spec).flatMap((a, i, all) => (all[i - 1] === "-e" ? [a] : []));
    expect(env).toContain("GOFLAGS=-mod=mod");
    expect(env).toContain("HOME=/tmp/home");
    expect(env.some((e) => e.startsWith("GO_API_TOKEN="))).toBe(false);
    expect(env.some((e) => e.startsWith("UNRELATED="))).toBe(false);
  } finally {
    process.env = saved;
  }
});

test("a fetch step: the host's network and its CA certificates", () => {
  const args = containerArgs(step({ phase: "fetch" }), "go", spec);
  expect(args).toContain("--network=host");
  expect(mounts(args)).toContain("type=bind,source=/etc/ssl,destination=/etc/ssl,readonly");
});

test("what the image provides: its toolchains and Debian's system folders, not /usr/local beyond them", () => {
  expect(providedByImage("/usr/local/go/bin", roots)).toBe(true);
  expect(providedByImage("/opt/rustup", roots)).toBe(true);
  expect(providedByImage("/opt/rustup/toolchains/stable", roots)).toBe(true);
  expect(providedByImage("/usr/lib/x86_64-linux-gnu", roots)).toBe(true);
  expect(providedByImage("/usr/local/lib/node_modules", roots)).toBe(false);
  expect(providedByImage("/opt/rustup-other", roots)).toBe(false);
});

test("a path with a comma is refused with DCM_CONTAINER_FAILED", () => {
  const dir = join(root, "a,b");
  mkdirSync(dir);
  expect(() => containerArgs(step({ inputs: [dir] }), "go", spec)).toThrow(/comma/);
});
