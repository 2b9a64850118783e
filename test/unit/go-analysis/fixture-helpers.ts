/** Shared builders for the Go analysis specs. */
import { join } from "node:path";
import type { SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { AnalyzeRequest } from "../../../src/languages/adapter-types.js";

export const FIXTURES = join(import.meta.dirname, "..", "..", "..", "languages", "go", "fixtures", "analysis");
export const APP = join(FIXTURES, "app");

export type ReqFragment = AnalyzeRequest["fragments"][number];

/** Where each fragment's keys sit in a pretend CFD: fragment n starts at line 10n. */
export function cfdPos(n: number, key: "fragment" | "name" | "location" | "kind" | "start" | "end"): SourcePos {
  const offset = { fragment: 0, name: 1, location: 2, start: 3, end: 4, kind: 5 }[key];
  return { file: "dcm.yaml", line: 10 * n + offset, col: key === "fragment" ? 3 : 5 };
}

export function frag(n: number, file: string, name: string, extra: Partial<ReqFragment> = {}): ReqFragment {
  const location = { filepath: file, ...(extra.location ?? {}) };
  const positions: ReqFragment["positions"] = {
    fragment: cfdPos(n, "fragment"),
    name: cfdPos(n, "name"),
    location: cfdPos(n, "location"),
  };
  if (extra.kind) positions.kind = cfdPos(n, "kind");
  if (location.start !== undefined) positions.start = cfdPos(n, "start");
  if (location.end !== undefined) positions.end = cfdPos(n, "end");
  return { id: String(n), name, runOn: "client", file, ...extra, location, positions };
}
