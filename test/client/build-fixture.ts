/** Builds test/e2e/fixtures/small (or a copy with edits) into a temp dist for the client tests. */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { ROOT, runCli } from "../support/run-cli.js";

export interface BuiltDist {
  repo: string;
  dist: string;
  manifest: Manifest;
  wasm: Uint8Array;
  /** Removes the temp folder. */
  cleanup(): Promise<void>;
}

/** `edit` may change the copied CFD text (e.g. to mark fragments idempotent). */
export function buildSmall(edit?: (cfd: string) => string): Promise<BuiltDist> {
  return buildFixture(join(ROOT, "test/e2e/fixtures/small"), edit);
}

/** test/client/fixtures/napper: `nap` (idempotent) and `napOnce` sleep on the server; `deadlock` kills its Go runtime. */
export function buildNapper(): Promise<BuiltDist> {
  return buildFixture(join(ROOT, "test/client/fixtures/napper"));
}

async function buildFixture(src: string, edit?: (cfd: string) => string): Promise<BuiltDist> {
  const scratch = await mkdtemp(join(tmpdir(), "dcm-client-"));
  const repo = join(scratch, "repo");
  await cp(src, repo, { recursive: true });
  if (edit) await writeFile(join(repo, "dcm.yaml"), edit(await readFile(join(repo, "dcm.yaml"), "utf8")));
  const dist = join(scratch, "dist");
  const r = await runCli(["build", repo, "--cfd", join(repo, "dcm.yaml"), "--out", dist, "--json"]);
  if (r.code !== 0) throw new Error(`dcm build failed (${r.code}): ${r.stderr}\n${r.stdout}`);
  const manifest = JSON.parse(await readFile(join(dist, "manifest.json"), "utf8")) as Manifest;
  const wasmModule = manifest.modules.find((m) => m.target === "wasm");
  if (!wasmModule) throw new Error("the dist has no wasm module");
  const wasm = new Uint8Array(await readFile(join(dist, wasmModule.file)));
  return { repo, dist, manifest, wasm, cleanup: () => rm(scratch, { recursive: true, force: true }) };
}
