/**
 * The languages of the parity suite: every language of the registry
 * (src/languages/registry.ts), each with what it brings by convention
 * (parity-types.ts): `languages/<id>/fixtures/parity/` and
 * `languages/<id>/fixtures/parity-native.ts`. A registered language that
 * lacks them is listed with the problem, and the suite fails for it saying
 * what to add: a language is not done until it is in the suite.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { allLanguages } from "../../../src/languages/registry.js";
import { ROOT } from "../../support/run-cli.js";
import type { ParityLanguage } from "./parity-types.js";
import { RECORDS } from "./signatures.js";

export interface ParityEntry {
  id: string;
  /** Absolute path of `languages/<id>/fixtures/parity/`. */
  repo: string;
  /** The language's ParityLanguage; absent when `problem` says why. */
  parity?: ParityLanguage;
  problem?: string;
}

async function load(id: string): Promise<ParityEntry> {
  const folder = join(ROOT, "languages", id);
  const repo = join(folder, "fixtures", "parity");
  const runner = join(folder, "fixtures", "parity-native.ts");
  const missing = [join(repo, "dcm.yaml"), runner].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    return {
      id,
      repo,
      problem:
        `language \`${id}\` is registered but brings no parity fixtures: ${missing.map((f) => f.slice(ROOT.length)).join(", ")} missing. ` +
        "Write the parity functions in languages/<id>/fixtures/parity/ (with a dcm.yaml using the ids of test/parity/cases.json) " +
        'and their native runner in languages/<id>/fixtures/parity-native.ts (test/parity/README.md, "Adding a language").',
    };
  }
  const mod = (await import(pathToFileURL(runner).href)) as { default?: ParityLanguage };
  if (typeof mod.default?.native !== "function") {
    return {
      id,
      repo,
      problem: `${runner.slice(ROOT.length)} does not default-export a ParityLanguage (a \`native\` function)`,
    };
  }
  for (const [name, fields] of Object.entries(mod.default.records ?? {})) {
    if (RECORDS[name] && JSON.stringify(RECORDS[name]) !== JSON.stringify(fields))
      return { id, repo, problem: `${runner.slice(ROOT.length)} redefines record \`${name}\` with other fields` };
    RECORDS[name] = fields;
  }
  return { id, repo, parity: mod.default };
}

/** Every registered language, in registry order. */
export const PARITY_LANGUAGES: readonly ParityEntry[] = await Promise.all(allLanguages().map((l) => load(l.id)));

export function parityLanguage(id: string): ParityEntry {
  const e = PARITY_LANGUAGES.find((l) => l.id === id);
  if (!e) throw new Error(`parity: \`${id}\` is not a registered language`);
  return e;
}
