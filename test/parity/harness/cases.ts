/**
 * The parity cases (../cases.json, raw JSON text per case so that 64-bit
 * integers stay exact), the rare per-language overrides
 * (../cases-overrides.json) and each language's CFD names.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml } from "yaml";
import { parseInvokeCases } from "../../e2e/harness/go-native-harness.js";

export const PARITY = fileURLToPath(new URL("..", import.meta.url));

export const LANGUAGES = ["go", "rust", "assemblyscript", "typescript"] as const;
export type Lang = (typeof LANGUAGES)[number];

/** Every fragment id with its cases, in file order. */
export const CASES: Record<string, string[]> = parseInvokeCases(readFileSync(join(PARITY, "cases.json"), "utf8"));

interface Override {
  /** Why this language cannot take these cases (shown in the README too). */
  reason: string;
  /** Indices of cases.json cases this language leaves out. */
  drop?: number[];
}

const OVERRIDES = JSON.parse(readFileSync(join(PARITY, "cases-overrides.json"), "utf8")) as Record<
  string,
  Record<string, Override>
>;

/** A language's cases: cases.json minus its documented drops. `index` is the case's index in cases.json. */
export function casesFor(lang: Lang): Record<string, Array<{ index: number; args: string }>> {
  const out: Record<string, Array<{ index: number; args: string }>> = {};
  for (const [id, list] of Object.entries(CASES)) {
    const drop = new Set(OVERRIDES[lang]?.[id]?.drop ?? []);
    out[id] = list.map((args, index) => ({ index, args })).filter((c) => !drop.has(c.index));
  }
  for (const id of Object.keys(OVERRIDES[lang] ?? {})) {
    if (!CASES[id]) throw new Error(`parity: cases-overrides.json names unknown fragment \`${id}\` for ${lang}`);
  }
  return out;
}

/** Fragment id -> symbol name (`Func`, `Type.method`) from the language's dcm.yaml. */
export function cfdNames(lang: Lang): Record<string, string> {
  const doc = parseYaml(readFileSync(join(PARITY, lang, "dcm.yaml"), "utf8")) as {
    fragments: Array<{ id: string | number; name?: string }>;
  };
  return Object.fromEntries(doc.fragments.map((f) => [String(f.id), f.name ?? String(f.id)]));
}

/** Fragments with float32 results. */
export function isFloat32(id: string): boolean {
  return id === "to-f32" || id === "f32-round-trip" || id === "mul-f32";
}
