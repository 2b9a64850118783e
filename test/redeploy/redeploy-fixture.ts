/**
 * Builds versions of test/redeploy/fixtures/app for the live-redeploy tests
 * and bench: `version` replaces the VERSION marker (the stateless fragments'
 * results change), `moreState` adds a second state var to bump's group (its
 * state types change, so its state must reset on a redeploy).
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
  versions: Array<{ version: string; moreState?: boolean }>,
): Promise<{ builds: Built[]; cleanup(): Promise<void> }> {
  const scratch = await mkdtemp(join(tmpdir(), "dcm-redeploy-"));
  const builds: Built[] = [];
  for (const [i, v] of versions.entries()) {
    const repo = join(scratch, `repo${i}`);
    await cp(FIXTURE, repo, { recursive: true });
    let src = await readFile(join(repo, "src/app.ts"), "utf8");
    src = src.replace('const VERSION = "v1";', `const VERSION = ${JSON.stringify(v.version)};`);
    if (v.moreState) {
      src = src
        .replace("let hits = 0;", "let hits = 0;\nlet calls = 0;")
        .replace("  hits += by;", "  hits += by;\n  calls++;");
    }
    await writeFile(join(repo, "src/app.ts"), src);
    const dist = join(scratch, `dist${i}`);
    const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist, "--json"]);
    if (r.code !== 0) throw new Error(`dcm build failed (${r.code}): ${r.stderr}\n${r.stdout}`);
    const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
    builds.push({ dist, manifest, tarGz: async () => (await packRepo(dist)).data });
  }
  return { builds, cleanup: () => rm(scratch, { recursive: true, force: true }) };
}

/** The id of the state group holding fragment `id`, when the build found one (the analysis of issue 12). */
export function groupOf(m: Manifest, id: string): string | undefined {
  return m.groups?.find((g) => g.state.length > 0 && g.fragments.includes(id))?.id;
}
