/** Shared builders for the Rust analysis and generation specs. */
import { join } from "node:path";
import { analyzeRust } from "../../../languages/rust/analysis/analyze-rust.js";
import type { AnalysisResult, AnalyzeRequest } from "../../../src/languages/adapter-types.js";

export const FIXTURES = join(import.meta.dirname, "..", "..", "..", "languages", "rust", "fixtures");
export const APP = join(FIXTURES, "app");
export const REFUSED = join(FIXTURES, "refused");

export type ReqFragment = AnalyzeRequest["fragments"][number];

export function frag(id: string, file: string, name: string, extra: Partial<ReqFragment> = {}): ReqFragment {
  const pos = { file: "dcm.yaml", line: 1, col: 3 };
  return { id, name, runOn: "client", file, location: { filepath: file }, positions: { fragment: pos, name: pos }, ...extra };
}

/** The fixture crate's dcm.yaml fragments (one line each: `{ id: x, name: y, …, filepath: z }`). */
export async function appFragments(): Promise<ReqFragment[]> {
  const { readFile } = await import("node:fs/promises");
  const text = await readFile(join(APP, "dcm.yaml"), "utf8");
  const out: ReqFragment[] = [];
  for (const m of text.matchAll(/\{ id: (\S+), name: (\S+), runOn: (\S+), location: \{ filepath: (\S+) \} \}/g)) {
    out.push(frag(m[1]!, m[4]!, m[2]!, { runOn: m[3] as "client" | "server" }));
  }
  return out;
}

export async function analyzeApp(): Promise<AnalysisResult> {
  return analyzeRust({ repo: APP, fragments: await appFragments() });
}

/** The common state fixture's fragments (languages/rust/fixtures/state/dcm.yaml). */
export const STATE_FRAGMENTS = [
  frag("counter-add", "src/counter.rs", "add", { runOn: "server" }),
  frag("counter-get", "src/counter.rs", "total"),
  frag("log-append", "src/journal/mod.rs", "append", { runOn: "server" }),
  frag("log-join", "src/journal/mod.rs", "joined"),
  frag("blob-put", "src/uploads.rs", "put", { runOn: "server" }),
  frag("blob-size", "src/uploads.rs", "size"),
  frag("pure-double", "src/lib.rs", "double"),
];
