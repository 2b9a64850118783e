/**
 * The parity cases (../cases.json, raw JSON text per case so that 64-bit
 * integers stay exact), each language's rare overrides (its ParityLanguage's
 * `overrides`) and each language's CFD names.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { parseInvokeCases } from "../../e2e/harness/go-native-harness.js";
import { parityLanguage } from "./languages.js";

export const PARITY = fileURLToPath(new URL("..", import.meta.url));

/** Every fragment id with its cases, in file order. */
export const CASES: Record<string, string[]> = parseInvokeCases(readFileSync(join(PARITY, "cases.json"), "utf8"));

/** The fragment ids a language's parity repository has: all of cases.json but those it lists as unsupported. */
export function fragmentsFor(lang: string): string[] {
  const unsupported = parityLanguage(lang).parity?.unsupported ?? {};
  for (const id of Object.keys(unsupported)) {
    if (!CASES[id]) throw new Error(`parity: ${lang} lists unknown fragment \`${id}\` as unsupported`);
  }
  return Object.keys(CASES).filter((id) => !(id in unsupported));
}

/** A language's cases: cases.json minus its unsupported fragments and documented drops. `index` is the case's index in cases.json. */
export function casesFor(lang: string): Record<string, Array<{ index: number; args: string }>> {
  const overrides = parityLanguage(lang).parity?.overrides ?? {};
  const out: Record<string, Array<{ index: number; args: string }>> = {};
  for (const id of fragmentsFor(lang)) {
    const list = CASES[id]!;
    const drop = new Set(overrides[id]?.drop ?? []);
    out[id] = list.map((args, index) => ({ index, args })).filter((c) => !drop.has(c.index));
  }
  for (const id of Object.keys(overrides)) {
    if (!CASES[id]) throw new Error(`parity: the overrides of ${lang} name unknown fragment \`${id}\``);
  }
  return out;
}

/** Per fragment id, the raw argument texts of a language's cases. */
export function rawCasesFor(lang: string): Record<string, string[]> {
  return Object.fromEntries(Object.entries(casesFor(lang)).map(([id, list]) => [id, list.map((c) => c.args)]));
}

/** Fragment id -> symbol name (`Func`, `Type.method`) from a parity repository's dcm.yaml. */
export function cfdNames(repo: string): Record<string, string> {
  const doc = parseYaml(readFileSync(join(repo, "dcm.yaml"), "utf8")) as {
    fragments: Array<{ id: string | number; name?: string }>;
  };
  return Object.fromEntries(doc.fragments.map((f) => [String(f.id), f.name ?? String(f.id)]));
}

/** Fragments with float32 results. */
export function isFloat32(id: string): boolean {
  return id === "to-f32" || id === "f32-round-trip" || id === "mul-f32";
}
