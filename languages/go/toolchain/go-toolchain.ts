/**
 * The `go` toolchain driver: finds the Go command, reads its version and
 * cache folders, and runs it (locally, or in a bubblewrap sandbox when
 * DCM_SANDBOX=1). Go's own build cache is used as is (never a temporary
 * GOCACHE), so repeated builds of unchanged packages are fast.
 */
import { dirname, resolve } from "node:path";
import { runLocal, runProcess, which } from "../../../toolchains/local-driver.js";
import { runSandboxed, sandboxRequested } from "../../../toolchains/sandbox-driver.js";
import type {
  CompileJob,
  CompileOutcome,
  ToolchainDriver,
  ToolchainInfo,
} from "../../../toolchains/toolchain-types.js";
import { dcmError } from "../../../runtime/diagnostics/catalog.js";

export interface GoToolchainInfo extends ToolchainInfo {
  /** `go1.26.8`. */
  version: string;
  /** The host platform (`go env GOOS GOARCH`), e.g. `linux`/`amd64`. */
  goos: string;
  goarch: string;
  gocache: string;
  gomodcache: string;
}

export interface GoToolchainDriver extends ToolchainDriver {
  detect(): Promise<GoToolchainInfo | null>;
}

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
  let detected: Promise<GoToolchainInfo | null> | undefined;

  const detect = (): Promise<GoToolchainInfo | null> => {
    detected ??= (async () => {
      const candidates = opts.candidates ?? ["go", ...FALLBACK_GO];
      for (const c of candidates) {
        const path = await which(c);
        if (!path) continue;
        const env = { ...process.env, GOTOOLCHAIN: "local" };
        const v = await runProcess(path, ["version"], { cwd: process.cwd(), env, timeoutMs: 30_000 });
        const version = v.ok ? parseGoVersion(v.stdout) : null;
        if (!version) continue;
        const e = await runProcess(path, ["env", "GOOS", "GOARCH", "GOCACHE", "GOMODCACHE"], {
          cwd: process.cwd(),
          env,
          timeoutMs: 30_000,
        });
        const [goos = "", goarch = "", gocache = "", gomodcache = ""] = e.stdout.split("\n").map((l) => l.trim());
        return { name: "go", path, version, goos, goarch, gocache, gomodcache };
      }
      return null;
    })();
    return detected;
  };

  return {
    name: "go",
    installHint: GO_INSTALL_HINT,
    detect,
    async version(): Promise<string> {
      const info = await detect();
      if (!info)
        throw dcmError("DCM_TOOLCHAIN_MISSING", "Go is not installed (no `go` on PATH or in /usr/local/go/bin)", {
          suggestion: GO_INSTALL_HINT,
        });
      return info.version;
    },
    async compile(job: CompileJob): Promise<CompileOutcome> {
      const info = await detect();
      if (!info) {
        return {
          ok: false,
          stdout: "",
          stderr: "dcm: Go is not installed (no `go` on PATH or in /usr/local/go/bin)\n",
          durationMs: 0,
        };
      }
      if (!sandboxRequested()) return runLocal(info.path, job);
      const env: Record<string, string> = {
        GOCACHE: info.gocache,
        GOMODCACHE: info.gomodcache,
        GOPROXY: "off",
        ...job.env,
      };
      return runSandboxed(info.path, { ...job, env }, { writable: writableFolders(job, info) });
    },
  };
}

/** The folders a `go build` job writes: its working folder, the go.work's folder (go.work.sum), the -o folder and Go's caches. */
function writableFolders(job: CompileJob, info: GoToolchainInfo): string[] {
  const out = [job.cwd, info.gocache, info.gomodcache];
  if (job.env?.GOWORK && job.env.GOWORK !== "off") out.push(dirname(resolve(job.cwd, job.env.GOWORK)));
  const o = job.args.indexOf("-o");
  if (o >= 0 && job.args[o + 1]) out.push(dirname(resolve(job.cwd, job.args[o + 1]!)));
  return out.filter((p) => p !== "");
}

/** The process-wide Go driver (detection cached per process). */
export const goToolchain: GoToolchainDriver = createGoToolchain();
