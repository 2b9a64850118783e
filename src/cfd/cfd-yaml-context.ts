/** Shared plumbing for reading the CFD's YAML nodes: positions, aliases, value descriptions. */
import type { Document, LineCounter, Node, Pair, YAMLMap } from "yaml";
import { isAlias, isMap, isScalar, isSeq } from "yaml";
import { diag, type ErrorCode } from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic, SourcePos } from "../../runtime/diagnostics/diagnostic-types.js";
import type { CfdFragment } from "./cfd-types.js";

export type Positions = CfdFragment["positions"];

export interface Ctx {
  file: string;
  lc: LineCounter;
  doc: Document.Parsed;
  diags: Diagnostic[];
}

/** A fragment as read, before cross-fragment checks (duplicates, dependencies). */
export interface Draft {
  node: YAMLMap;
  id?: string;
  idIsInt: boolean;
  frag: Partial<CfdFragment> & { positions: Positions };
}

export function err(
  ctx: Ctx,
  code: ErrorCode,
  message: string,
  pos: SourcePos,
  suggestion?: string,
  fragment?: string,
): void {
  const extra: Parameters<typeof diag>[2] = { pos };
  if (suggestion !== undefined) extra.suggestion = suggestion;
  if (fragment !== undefined) extra.fragment = fragment;
  ctx.diags.push(diag(code, message, extra));
}

export function keyName(pair: Pair): string {
  const k = pair.key as Node | null;
  return isScalar(k) ? String(k.value) : String(k);
}

/** Anchors and aliases are legal YAML; validate what they point at. */
export function deref(ctx: Ctx, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(ctx.doc) as Node | undefined) ?? null;
  return (node as Node | null | undefined) ?? null;
}

export function at(ctx: Ctx, offset: number): SourcePos {
  const { line, col } = ctx.lc.linePos(offset);
  return { file: ctx.file, line: Math.max(1, line), col: Math.max(1, col) };
}

export function nodePos(ctx: Ctx, node: Node | null | undefined): SourcePos {
  return at(ctx, node?.range?.[0] ?? 0);
}

/** The value's position; an empty value (`key:`) points at the key instead. */
export function valuePos(ctx: Ctx, pair: Pair): SourcePos {
  const v = pair.value as Node | null;
  const empty =
    !v || (isScalar(v) && v.value === null && v.source === undefined) || (v.range && v.range[0] === v.range[1]);
  return nodePos(ctx, empty ? (pair.key as Node) : v);
}

export function describe(node: Node | null | undefined): string {
  if (node === null || node === undefined) return "empty";
  if (isSeq(node)) return "a list";
  if (isMap(node)) return "a mapping";
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return "empty";
    return typeof v === "string" ? `\`${v}\`` : `${typeof v === "number" ? "the number" : typeof v} \`${String(v)}\``;
  }
  return "not a plain value";
}
