/**
 * The one place languages are registered. Adding a language = a folder under
 * languages/ plus one line here (see languages/README.md).
 */
import type { LanguageAdapter } from "./adapter-types.js";
import goAdapter from "../../languages/go/adapter.js";

const ADAPTERS: LanguageAdapter[] = [
  goAdapter,
];

export function allAdapters(): readonly LanguageAdapter[] {
  return ADAPTERS;
}

export function adapterById(id: string): LanguageAdapter | undefined {
  return ADAPTERS.find((a) => a.id === id);
}

export function adapterForFile(file: string): LanguageAdapter | undefined {
  return ADAPTERS.find((a) => a.extensions.some((ext) => file.endsWith(ext)));
}

export function allExtensions(): string[] {
  return [...new Set(ADAPTERS.flatMap((a) => a.extensions))];
}
