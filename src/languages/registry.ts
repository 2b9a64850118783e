/**
 * The one place languages are registered. Adding a language = a folder under
 * languages/ plus one line here (see languages/README.md).
 *
 * The registry holds each language's descriptor (`languages/<id>/language.ts`:
 * id, extensions, targets, glue paths), which is cheap to import; the adapter
 * (parser, generators, toolchain drivers) is imported on first use through
 * `loadAdapter`, so that a command loads only the languages it works on.
 */
import type { ModuleTarget } from "../../runtime/abi/manifest-types.js";
import type { LanguageAdapter, LanguageDescriptor } from "./adapter-types.js";
import { runtimeGlueFor } from "./runtime-glue.js";
import go from "../../languages/go/language.js";
import assemblyscript from "../../languages/assemblyscript/language.js";
import rust from "../../languages/rust/language.js";
import typescript from "../../languages/typescript/language.js";
// (language imports: one line each, alphabetical after go)

const LANGUAGES: LanguageDescriptor[] = [
  go,
  assemblyscript,
  rust,
  typescript,
  // (one entry per language, same order as the imports)
];

export function allLanguages(): readonly LanguageDescriptor[] {
  return LANGUAGES;
}

export function languageById(id: string): LanguageDescriptor | undefined {
  return LANGUAGES.find((l) => l.id === id);
}

/** The language of a file: a claimsFile hook first (shared extensions), else the extension. */
export function languageForFile(file: string): LanguageDescriptor | undefined {
  return (
    LANGUAGES.find((l) => l.claimsFile?.(file) === true) ??
    LANGUAGES.find((l) => !l.claimsFile && l.extensions.some((ext) => file.endsWith(ext)))
  );
}

export function allExtensions(): string[] {
  return [...new Set(LANGUAGES.flatMap((l) => l.extensions))];
}

/** The runtime glue of a registered language's `target` modules (its own, else core's for docs/abi.md modules). */
export function glueFor(id: string, target: ModuleTarget): string | undefined {
  const language = languageById(id);
  return language ? runtimeGlueFor(language, target) : undefined;
}

const loaded = new Map<string, Promise<LanguageAdapter>>();

/** The adapter of a registered language, imported once per process; undefined for an unknown id. */
export function loadAdapter(id: string): Promise<LanguageAdapter> | undefined {
  const language = languageById(id);
  if (!language) return undefined;
  let adapter = loaded.get(id);
  if (!adapter) {
    adapter = language.load();
    loaded.set(id, adapter);
    // A failed import (a broken install) is tried again on the next call, not cached.
    adapter.catch(() => loaded.delete(id));
  }
  return adapter;
}

/** Every adapter (the support matrix, tests): loads all languages. */
export function loadAllAdapters(): Promise<LanguageAdapter[]> {
  return Promise.all(LANGUAGES.map((l) => loadAdapter(l.id)!));
}
