/**
 * The `esbuild` toolchain driver. esbuild is an npm dependency of dcm (pinned
 * in package.json), so "installed" means importable from dcm's own
 * node_modules; `toolchains/esbuild/install.sh` checks it. The adapter
 * bundles through esbuild's JS API (toolchain/bundle.ts); `compile(job)`
 * runs the esbuild binary for callers that want a process, through core's
 * sandbox like every toolchain step. The JS API reads files in-process:
 * bundle.ts refuses every file outside the repository.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { runToolStep } from "../../../src/languages/kit/toolchain-kit.js";
import type { CompileJob, CompileOutcome, ToolchainDriver, ToolchainInfo } from "../../../toolchains/toolchain-types.js";
import { dcmError } from "../../../runtime/diagnostics/catalog.js";

export const ESBUILD_INSTALL_HINT = "bash toolchains/esbuild/install.sh (esbuild is an npm dependency of dcm: run `npm ci` in dcm's folder)";
/** Oldest esbuild whose output and options dcm was tested with. */
export const MIN_ESBUILD = "0.28.0";

export type EsbuildApi = typeof import("esbuild");

export interface EsbuildToolchainDriver extends ToolchainDriver {
  /** The esbuild JS API (throws DCM_TOOLCHAIN_MISSING / TOO_OLD). */
  api(): Promise<EsbuildApi>;
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

export function createEsbuildToolchain(): EsbuildToolchainDriver {
  let loaded: Promise<{ info: ToolchainInfo; api: EsbuildApi } | null> | undefined;
  const load = () => {
    loaded ??= (async () => {
      try {
        const api = (await import("esbuild")) as EsbuildApi;
        const require = createRequire(import.meta.url);
        const pkg = require.resolve("esbuild/package.json");
        return { api, info: { name: "esbuild", path: join(dirname(pkg), "bin", "esbuild"), version: api.version } };
      } catch {
        return null;
      }
    })();
    return loaded;
  };
  const missing = () =>
    dcmError("DCM_TOOLCHAIN_MISSING", "esbuild is not installed in dcm's node_modules", { suggestion: ESBUILD_INSTALL_HINT });
  return {
    name: "esbuild",
    installHint: ESBUILD_INSTALL_HINT,
    async detect() {
      return (await load())?.info ?? null;
    },
    async version() {
      const l = await load();
      if (!l) throw missing();
      return l.info.version;
    },
    async api() {
      const l = await load();
      if (!l) throw missing();
      if (compareVersions(l.info.version, MIN_ESBUILD) < 0) {
        throw dcmError("DCM_TOOLCHAIN_TOO_OLD", `esbuild ${l.info.version} is older than ${MIN_ESBUILD}`, {
          suggestion: ESBUILD_INSTALL_HINT,
        });
      }
      return l.api;
    },
    async compile(job: CompileJob): Promise<CompileOutcome> {
      const l = await load();
      if (!l) return { ok: false, stdout: "", stderr: "dcm: esbuild is not installed\n", durationMs: 0 };
      return runToolStep(l.info.path, job, { inputs: [dirname(dirname(l.info.path)), dirname(dirname(dirname(l.info.path)))] }, "esbuild");
    },
  };
}

/** The process-wide esbuild driver. */
export const esbuildToolchain: EsbuildToolchainDriver = createEsbuildToolchain();
