/**
 * The `go` toolchain driver: finds the Go command, reads its version and
 * folders, and describes what its steps need from core's sandbox
 * (src/languages/kit/toolchain-kit.ts): GOROOT read-only, Go's build cache
 * writable, the module cache writable for `go mod download` (fetch) and
 * read-only for builds (compile, GOPROXY=off). Go's own build cache is used
 * as is (never a temporary GOCACHE), so repeated builds of unchanged
 * packages are fast.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { defineToolchain, type KitToolchain, probeTool } from "../../../src/languages/kit/toolchain-kit.js";
import { which } from "../../../toolchains/local-driver.js";
import type { CompileJob, ToolchainInfo } from "../../../toolchains/toolchain-types.js";

export interface GoToolchainInfo extends ToolchainInfo {
  /** `go1.26.8`. */
  version: string;
  /** The host platform (`go env GOOS GOARCH`), e.g. `linux`/`amd64`. */
  goos: string;
  goarch: string;
  gocache: string;
  gomodcache: string;
  goroot: string;
  /** The user's `go env -w` file (under $HOME, which the sandbox hides: bound read-only). */
  goenv: string;
}

export type GoToolchainDriver = KitToolchain<GoToolchainInfo>;

export const GO_INSTALL_HINT =
  "bash toolchains/go/install.sh (it checks for Go >= 1.24; install Go from https://go.dev/dl/ when it is missing)";

/** Where `go` is looked for when it is not on PATH. */
const FALLBACK_GO = ["/usr/local/go/bin/go", "/usr/lib/go/bin/go"];

/** Parses `go version go1.26.8 linux/amd64` → `go1.26.8`. */
export function parseGoVersion(output: string): string | null {
  const m = /\bgo version (go\d+(?:\.\d+)*(?:[a-z]+\d*)?)/.exec(output);
  return m ? m[1]! : null;
}

export function createGoToolchain(opts: { candidates?: string[] } = {}): GoToolchainDriver {
  return defineToolchain<GoToolchainInfo>({
    name: "go",
    installHint: GO_INSTALL_HINT,
    missing: "Go is not installed (no `go` on PATH or in /usr/local/go/bin)",
    async probe() {
      for (const c of opts.candidates ?? ["go", ...FALLBACK_GO]) {
        const path = await which(c);
        if (!path) continue;
        const env = { GOTOOLCHAIN: "local" };
        const v = await probeTool(path, ["version"], env);
        const version = v.ok ? parseGoVersion(v.stdout) : null;
        if (!version) continue;
        const e = await probeTool(path, ["env", "GOOS", "GOARCH", "GOCACHE", "GOMODCACHE", "GOROOT", "GOENV"], env);
        const [goos = "", goarch = "", gocache = "", gomodcache = "", goroot = "", goenv = ""] = e.stdout
          .split("\n")
          .map((l) => l.trim());
        return { name: "go", path, version, goos, goarch, gocache, gomodcache, goroot, goenv };
      }
      return null;
    },
    needs(info, job) {
      const fetch = job.phase === "fetch";
      return {
        inputs: [info.goroot, dirname(info.path), ...(fetch ? [] : [info.gomodcache]), ...(goenvFile(info) ? [info.goenv] : [])],
        caches: [info.gocache, ...(fetch ? [info.gomodcache] : [])],
        scratch: scratchFolders(job),
        env: {
          GOCACHE: info.gocache,
          GOMODCACHE: info.gomodcache,
          GOENV: goenvFile(info) ? info.goenv : "off",
          GOTELEMETRY: "off",
          ...(fetch ? {} : { GOPROXY: "off" }),
        },
        passEnv: ["GO*", "CGO_*", "CC", "CXX", "AR", "PKG_CONFIG*"],
      };
    },
  });
}

const goenvFile = (info: GoToolchainInfo) => info.goenv !== "" && info.goenv !== "off" && existsSync(info.goenv);

/** The folders a `go` job writes besides its working folder: the go.work's folder (go.work.sum) and the -o folder. */
function scratchFolders(job: CompileJob): string[] {
  const out: string[] = [];
  if (job.env?.GOWORK && job.env.GOWORK !== "off") out.push(dirname(resolve(job.cwd, job.env.GOWORK)));
  const o = job.args.indexOf("-o");
  if (o >= 0 && job.args[o + 1]) out.push(dirname(resolve(job.cwd, job.args[o + 1]!)));
  return out;
}

/** The process-wide Go driver (detection cached per process). */
export const goToolchain: GoToolchainDriver = createGoToolchain();
