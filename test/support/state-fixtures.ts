/**
 * The languages' common state fixtures (languages/<id>/fixtures/state,
 * docs of the contract in each language's README): which exist, and each
 * built once per test file with the real `dcm build` into a temp dist.
 */
import { existsSync, readdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { ROOT, runCli } from "./run-cli.js";

/** Language ids with a `fixtures/state` folder, in a stable order. */
export function stateFixtureLanguages(): string[] {
  return readdirSync(join(ROOT, "languages"), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(ROOT, "languages", d.name, "fixtures", "state", "dcm.yaml")))
    .map((d) => d.name)
    .sort();
}

export interface BuiltStateFixture {
  language: string;
  dist: string;
  manifest: Manifest;
  cleanup(): Promise<void>;
}

/** Builds a language's state fixture; throws with the CLI's output when the build fails. */
export async function buildStateFixture(language: string): Promise<BuiltStateFixture> {
  const repo = join(ROOT, "languages", language, "fixtures", "state");
  const scratch = await mkdtemp(join(tmpdir(), `dcm-state-${language}-`));
  const dist = join(scratch, "dist");
  const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist, "--json"]);
  if (r.code !== 0) {
    await rm(scratch, { recursive: true, force: true });
    throw new Error(`dcm build of languages/${language}/fixtures/state failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  }
  const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  return { language, dist, manifest, cleanup: () => rm(scratch, { recursive: true, force: true }) };
}

/** Why a built fixture cannot run the state tests, or null: its manifest must hold the contract's three groups with state. */
export function stateFixtureProblem(m: Manifest): string | null {
  const groups = (m.groups ?? []).filter((g) => g.state.length > 0);
  for (const member of ["counter-add", "log-append", "blob-put"]) {
    if (!groups.some((g) => g.fragments.includes(member)))
      return `its manifest has no stateful group holding \`${member}\` (groups: ${JSON.stringify((m.groups ?? []).map((g) => g.fragments))})`;
  }
  return null;
}
