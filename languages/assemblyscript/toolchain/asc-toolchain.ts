/**
 * The `asc` toolchain driver: AssemblyScript's compiler from the npm
 * dependency `assemblyscript` (node_modules), run as `node asc.js …` in its
 * own process, through core's sandbox (src/languages/kit/toolchain-kit.ts).
 * DCM_ASC points dcm at another asc.js (and lets tests simulate a missing one).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { defineToolchain } from "../../../src/languages/kit/toolchain-kit.js";
import type { ToolchainDriver, ToolchainInfo } from "../../../toolchains/toolchain-types.js";

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
  return defineToolchain<ToolchainInfo>({
    name: "asc",
    installHint: ASC_INSTALL_HINT,
    missing: "AssemblyScript's compiler (node_modules/assemblyscript) is not installed",
    async probe() {
      const f = findAsc(opts.asc);
      return f ? { name: "asc", path: f.path, version: `asc ${f.version}` } : null;
    },
    // job.args are asc's arguments: this Node runs asc.js, which reads dcm's node_modules (binaryen, long).
    needs: (info) => ({
      command: process.execPath,
      argsBefore: [info.path],
      inputs: [dirname(dirname(dirname(info.path))), dirname(dirname(process.execPath))],
      passEnv: ["NODE_OPTIONS"],
    }),
  });
}

export const ascToolchain = createAscToolchain(process.env.DCM_ASC ? { asc: process.env.DCM_ASC } : {});
