/**
 * The content key of a generated Go module: equal keys mean an earlier build's
 * output can be reused, so everything that can change the compiled result must
 * feed it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { GenerateRequest } from "../../../src/languages/adapter-types.js";
import type { GoToolchainDriver } from "../toolchain/go-toolchain.js";
import { GO_BUILD_FLAGS, type GoTarget } from "./build-spec.js";
import { compareStrings } from "./naming.js";

/** Version of the generated code's shape; part of what a build cache key should hold. */
export const GO_GENERATOR_VERSION = 1;

/**
 * Sha256 over everything that determines the compiled module: the generated
 * files (with the repository and work folder paths abstracted away), the
 * analysis inputs (every user file the build reads), the module's go.mod and
 * go.sum, the toolchain version, platform and flags.
 */
export async function computeContentKey(
  req: GenerateRequest,
  target: GoTarget,
  files: Map<string, string>,
  paths: { repo: string; moduleRoot: string; workDir: string },
  driver: GoToolchainDriver,
): Promise<string> {
  const info = await driver.detect();
  const h = createHash("sha256");
  const moduleFiles: Record<string, string> = {};
  for (const name of ["go.mod", "go.sum", "go.work", "go.work.sum"]) {
    try {
      moduleFiles[name] = createHash("sha256")
        .update(await readFile(join(paths.moduleRoot, name)))
        .digest("hex");
    } catch {
      // absent
    }
  }
  h.update(
    JSON.stringify({
      generator: GO_GENERATOR_VERSION,
      target,
      flags: GO_BUILD_FLAGS,
      toolchain: info ? `${info.version} ${info.goos}/${info.goarch}` : "go: not installed",
      cc: target === "native" ? (process.env.CC ?? "gcc") : null,
      goflags: process.env.GOFLAGS ?? "",
      inputs: [...req.analysis.inputs].sort((a, b) => compareStrings(a.file, b.file)),
      moduleFiles,
    }),
  );
  for (const [rel, text] of [...files].sort((a, b) => compareStrings(a[0], b[0]))) {
    const portable = text.replaceAll(paths.workDir, "$WORK").replaceAll(paths.repo, "$REPO");
    h.update(`${rel}\0${portable}\0`);
  }
  return h.digest("hex");
}
