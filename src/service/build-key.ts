/**
 * The build key: sha256 over everything that decides a build's artifacts.
 * Same key → same dist, byte for byte, so the service answers it from the
 * store without building again.
 *
 *   dcm's version, the driver, the toolchains (name and version of every
 *   registered language's, surveyed once when the service starts), the CFD's
 *   path and bytes, and the unpacked repository's tree hash (archive-tree.ts:
 *   paths, modes and contents; not times, owners or the archive format).
 *
 * Known limitation: a toolchain updated while the service runs is not seen
 * until it restarts (the survey is taken once); restart the service after
 * updating toolchains.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { allLanguages, loadAdapter } from "../languages/registry.js";
import type { BuildDriver } from "./service-types.js";

export interface LanguageSurvey {
  id: string;
  displayName: string;
  extensions: string[];
  toolchains: Array<{ name: string; found: boolean; version?: string; installHint: string }>;
}

/** dcm's version, from package.json (found from this file in src/ and in build/). */
export function dcmVersion(): string {
  for (const up of ["../../package.json", "../../../package.json", "../../../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "dcm" && pkg.version) return pkg.version;
    } catch {
      // not at this depth
    }
  }
  return "unknown";
}

/** Every registered language and its toolchains as found on this machine. */
export async function surveyLanguages(): Promise<LanguageSurvey[]> {
  const out: LanguageSurvey[] = [];
  for (const l of allLanguages()) {
    const adapter = await loadAdapter(l.id)!;
    const toolchains = [];
    for (const tc of adapter.toolchains) {
      const info = await tc.detect().catch(() => null);
      toolchains.push({
        name: tc.name,
        found: Boolean(info),
        ...(info ? { version: info.version } : {}),
        installHint: tc.installHint,
      });
    }
    out.push({ id: l.id, displayName: adapter.displayName, extensions: [...l.extensions], toolchains });
  }
  return out;
}

export function buildKey(parts: {
  version: string;
  driver: BuildDriver;
  languages: LanguageSurvey[];
  cfdPath: string;
  cfdBytes: Buffer | string;
  treeHash: string;
}): string {
  const h = createHash("sha256");
  const toolchains = parts.languages.map((l) => [l.id, l.toolchains.map((t) => [t.name, t.version ?? null])]);
  h.update(JSON.stringify({ dcm: parts.version, driver: parts.driver, toolchains, cfdPath: parts.cfdPath }));
  h.update("\0");
  h.update(createHash("sha256").update(parts.cfdBytes).digest("hex"));
  h.update("\0");
  h.update(parts.treeHash);
  return h.digest("hex");
}
