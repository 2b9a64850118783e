/**
 * The `asc` toolchain driver: AssemblyScript's compiler from the npm
 * dependency `assemblyscript` (node_modules), run as `node asc.js …` in its
 * own process (locally, or in the bubblewrap sandbox when DCM_SANDBOX=1).
 * DCM_ASC points dcm at another asc.js (and lets tests simulate a missing one).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { dcmError } from "../../../runtime/diagnostics/catalog.js";
import { runLocal } from "../../../toolchains/local-driver.js";
import { runSandboxed, sandboxRequested } from "../../../toolchains/sandbox-driver.js";
import type {
  CompileJob,
  CompileOutcome,
  ToolchainDriver,
  ToolchainInfo,
} from "../../../toolchains/toolchain-types.js";

export const ASC_INSTALL_HINT =
  "bash toolchains/assemblyscript/install.sh (it checks node_modules/assemblyscript; run `npm ci` in the dcm folder when it is missing)";

/** The asc.js of the assemblyscript package, and its version, or null. */
export function findAsc(candidate?: string): { path: string; version: string } | null {
  try {
    let pkgDir: string;
    if (candidate) pkgDir = dirname(dirname(candidate));
    else pkgDir = dirname(createRequire(import.meta.url).resolve("assemblyscript/package.json"));
    const path = candidate ?? join(pkgDir, "bin", "asc.js");
    if (!existsSync(path)) return null;
    const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8")) as { name?: string; version?: string };
    if (pkg.name !== "assemblyscript" || !pkg.version) return null;
    return { path, version: pkg.version };
  } catch {
    return null;
  }
}

export function createAscToolchain(opts: { asc?: string } = {}): ToolchainDriver {
  let detected: ToolchainInfo | null | undefined;
  const detect = async (): Promise<ToolchainInfo | null> => {
    if (detected === undefined) {
      const f = findAsc(opts.asc);
      detected = f ? { name: "asc", path: f.path, version: `asc ${f.version}` } : null;
    }
    return detected;
  };
  return {
    name: "asc",
    installHint: ASC_INSTALL_HINT,
    detect,
    async version(): Promise<string> {
      const info = await detect();
      if (!info)
        throw dcmError(
          "DCM_TOOLCHAIN_MISSING",
          "AssemblyScript's compiler (node_modules/assemblyscript) is not installed",
          {
            suggestion: ASC_INSTALL_HINT,
          },
        );
      return info.version;
    },
    /** job.args are asc's arguments; the driver runs them with this Node. */
    async compile(job: CompileJob): Promise<CompileOutcome> {
      const info = await detect();
      if (!info) return { ok: false, stdout: "", stderr: "dcm: asc is not installed\n", durationMs: 0 };
      const full = { ...job, args: [info.path, ...job.args] };
      if (!sandboxRequested()) return runLocal(process.execPath, full);
      const readOnly = [
        ...(job.readOnly ?? []),
        dirname(dirname(dirname(info.path))),
        dirname(dirname(process.execPath)),
      ];
      return runSandboxed(process.execPath, { ...full, readOnly }, { writable: [job.cwd] });
    },
  };
}

export const ascToolchain = createAscToolchain(process.env.DCM_ASC ? { asc: process.env.DCM_ASC } : {});
