/**
 * The one place languages are registered. Adding a language = a folder under
 * languages/ plus one line here (see languages/README.md).
 */
import type { LanguageAdapter } from "./adapter-types.js";
import goAdapter from "../../languages/go/adapter.js";
import assemblyscriptAdapter from "../../languages/assemblyscript/adapter.js";
import rustAdapter from "../../languages/rust/adapter.js";
import typescriptAdapter from "../../languages/typescript/adapter.js";
// (language imports: one line each, alphabetical after go)

const ADAPTERS: LanguageAdapter[] = [
  goAdapter,
  assemblyscriptAdapter,
  rustAdapter,
  typescriptAdapter,
  // (one entry per language, same order as the imports)
];

export function allAdapters(): readonly LanguageAdapter[] {
  return ADAPTERS;
}

export function adapterById(id: string): LanguageAdapter | undefined {
  return ADAPTERS.find((a) => a.id === id);
}

/** The adapter for a file: a claimsFile hook first (shared extensions), else the extension. */
export function adapterForFile(file: string): LanguageAdapter | undefined {
  return (
    ADAPTERS.find((a) => a.claimsFile?.(file) === true) ??
    ADAPTERS.find((a) => !a.claimsFile && a.extensions.some((ext) => file.endsWith(ext)))
  );
}

export function allExtensions(): string[] {
  return [...new Set(ADAPTERS.flatMap((a) => a.extensions))];
}
