/**
 * Builds versions of test/redeploy/fixtures/app for the live-redeploy tests
 * and bench: `version` replaces the VERSION marker (the fragments' results
 * change). State across redeploys is tested on the languages' common state
 * fixtures (redeploy-state.spec.ts).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { packRepo } from "../../src/service/client/pack-repo.js";
import { ROOT, runCli } from "../support/run-cli.js";

export const FIXTURE = join(ROOT, "test/redeploy/fixtures/app");

export interface Built {
  dist: string;
  manifest: Manifest;
  /** The dist as `dcm deploy` uploads it. */
  tarGz(): Promise<Buffer>;
}

export async function buildVersions(
  versions: Array<{ version: string }>,
): Promise<{ builds: Built[]; cleanup(): Promise<void> }> {
  const scratch = await mkdtemp(join(tmpdir(), "dcm-redeploy-"));
  const builds: Built[] = [];
  for (const [i, v] of versions.entries()) {
    const repo = join(scratch, `repo${i}`);
    await cp(FIXTURE, repo, { recursive: true });
    const src = (await readFile(join(repo, "src/app.ts"), "utf8")).replace(
      'const VERSION = "v1";',
      `const VERSION = ${JSON.stringify(v.version)};`,
    );
    await writeFile(join(repo, "src/app.ts"), src);
    const dist = join(scratch, `dist${i}`);
    const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist, "--json"]);
    if (r.code !== 0) throw new Error(`dcm build failed (${r.code}): ${r.stderr}\n${r.stdout}`);
    const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
    builds.push({ dist, manifest, tarGz: async () => (await packRepo(dist)).data });
  }
  return { builds, cleanup: () => rm(scratch, { recursive: true, force: true }) };
}
