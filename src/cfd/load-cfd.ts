/**
 * Reads a CFD (Code Fragment Description) into a `Cfd`. Every problem is
 * collected in one pass so the user fixes them all at once; each diagnostic
 * points at the offending key or value. See docs/cfd.md for the format.
 */
import { readFile } from "node:fs/promises";
import { type Document, isMap, isSeq, LineCounter, type Node, type Pair, parseDocument, type YAMLMap } from "yaml";
import { diag } from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import type { Cfd, CfdFragment } from "./cfd-types.js";
import { at, type Ctx, type Draft, deref, err, keyName, nodePos, valuePos } from "./cfd-yaml-context.js";
import { checkDependencies, checkIds } from "./check-references.js";
import { DEFAULTS_KEYS, ROOT_KEYS, readFragment, readRunOn, readString, unknownKey } from "./read-fragment.js";

export interface LoadCfdResult {
  /** Null when any error was reported: a half-valid CFD must not reach the build. */
  cfd: Cfd | null;
  /**
   * When `cfd` is null: the fragments that could still be read well enough to
   * check against the code (an id of their own, a name and a location.filepath),
   * so that one validation run reports the CFD's errors and the code's together.
   */
  partial?: Cfd;
  diagnostics: Diagnostic[];
}

/** The parsed document, kept for tools that edit the CFD in place (fix-cfd). */
export interface CfdSource {
  text: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  /** Fragment id → its list item and whether the id was written as an integer. */
  fragments: Map<string, { node: YAMLMap; idIsInt: boolean }>;
}

export async function loadCfdFile(path: string): Promise<LoadCfdResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? String(e);
    return { cfd: null, diagnostics: [diag("DCM_CFD_NOT_FOUND", `cannot read the CFD file ${path} (${reason})`)] };
  }
  return loadCfdText(text, path);
}

export function loadCfdText(text: string, file: string): LoadCfdResult {
  const { source: _source, ...result } = parseCfd(text, file);
  return result;
}

/** loadCfdText plus the YAML document it came from. */
export function parseCfd(text: string, file: string): LoadCfdResult & { source: CfdSource | null } {
  const lc = new LineCounter();
  // prettyErrors off: its messages embed a code frame; we report line/col ourselves.
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, keepSourceTokens: true });
  const ctx: Ctx = { file, lc, doc, diags: [] };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      ctx.diags.push(diag("DCM_CFD_YAML_SYNTAX", e.message, { pos: at(ctx, e.pos[0]) }));
    }
    return { cfd: null, diagnostics: ctx.diags, source: null };
  }

  const root = doc.contents;
  if (!isMap(root)) {
    const what = root === null ? "the CFD is empty" : "the CFD's root is not a mapping";
    err(ctx, "DCM_CFD_NO_FRAGMENTS", `${what}; expected a root key \`fragments:\``, at(ctx, root?.range?.[0] ?? 0));
    return { cfd: null, diagnostics: ctx.diags, source: null };
  }

  let defaults: Cfd["defaults"];
  let fragmentsNode: Node | null | undefined;
  let fragmentsPair: Pair | undefined;
  const misspelt = new Set<string>();
  for (const pair of root.items) {
    const key = keyName(pair);
    if (key === "fragments") {
      fragmentsPair = pair;
      fragmentsNode = deref(ctx, pair.value);
    } else if (key === "defaults") defaults = readDefaults(ctx, pair);
    else unknownKey(ctx, pair, key, ROOT_KEYS, "at the root", misspelt);
  }

  const drafts: Draft[] = [];
  if (!fragmentsPair) {
    if (!misspelt.has("fragments")) {
      err(ctx, "DCM_CFD_NO_FRAGMENTS", "the CFD has no root key `fragments:`", at(ctx, root.range?.[0] ?? 0));
    }
  } else if (!isSeq(fragmentsNode)) {
    err(
      ctx,
      "DCM_CFD_NO_FRAGMENTS",
      "`fragments` must be a list of fragment descriptions",
      valuePos(ctx, fragmentsPair),
    );
  } else if (fragmentsNode.items.length === 0) {
    err(ctx, "DCM_CFD_NO_FRAGMENTS", "the `fragments` list is empty", valuePos(ctx, fragmentsPair));
  } else {
    for (const item of fragmentsNode.items) {
      const node = deref(ctx, item as Node);
      if (!isMap(node)) {
        err(
          ctx,
          "DCM_CFD_INVALID_VALUE",
          "each entry of `fragments` must be a mapping (id, name, runOn, location…)",
          nodePos(ctx, item as Node),
        );
        continue;
      }
      drafts.push(readFragment(ctx, node, defaults));
    }
  }

  checkIds(ctx, drafts);
  checkDependencies(ctx, drafts);
  // Checks run by kind, not by line; report in file order as an editor would list them.
  ctx.diags.sort((a, b) => (a.pos?.line ?? 0) - (b.pos?.line ?? 0) || (a.pos?.col ?? 0) - (b.pos?.col ?? 0));

  if (ctx.diags.some((d) => d.severity === "error")) {
    const partial: Cfd = { file, fragments: readable(drafts) };
    if (defaults) partial.defaults = defaults;
    return { cfd: null, partial, diagnostics: ctx.diags, source: null };
  }
  const fragments = drafts.map((d) => ordered(d.frag as CfdFragment));
  const cfd: Cfd = { file, fragments };
  if (defaults) cfd.defaults = defaults;
  const byId = new Map(drafts.map((d) => [d.id!, { node: d.node, idIsInt: d.idIsInt }]));
  return { cfd, diagnostics: ctx.diags, source: { text, doc, lineCounter: lc, fragments: byId } };
}

function readDefaults(ctx: Ctx, pair: Pair): Cfd["defaults"] {
  const node = deref(ctx, pair.value);
  if (!isMap(node)) {
    err(
      ctx,
      "DCM_CFD_INVALID_VALUE",
      "`defaults` must be a mapping, e.g. `defaults: { runOn: client }`",
      valuePos(ctx, pair),
    );
    return undefined;
  }
  const out: NonNullable<Cfd["defaults"]> = {};
  for (const p of node.items) {
    const key = keyName(p);
    if (key === "runOn") {
      const side = readRunOn(ctx, p, "defaults.runOn");
      if (side) out.runOn = side;
    } else if (key === "language") {
      const lang = readString(ctx, p, "defaults.language");
      if (lang !== undefined) out.language = lang;
    } else unknownKey(ctx, p, key, DEFAULTS_KEYS, "in `defaults`", new Set());
  }
  return out;
}

/** Fragments of a CFD with errors that can still be looked up in the code: first of their id, with name and file. */
function readable(drafts: Draft[]): CfdFragment[] {
  const seen = new Set<string>();
  const out: CfdFragment[] = [];
  for (const d of drafts) {
    if (d.id === undefined || seen.has(d.id)) continue;
    seen.add(d.id);
    const f = d.frag;
    if (f.name !== undefined && f.location?.filepath !== undefined) out.push(ordered(f as CfdFragment));
  }
  return out;
}

/** The paper's key order first and positions last, so printed fragments read like the CFD. */
function ordered(f: CfdFragment): CfdFragment {
  const { id, name, runOn, location, positions, ...rest } = f;
  return { id, name, ...(runOn ? { runOn } : {}), location, ...rest, positions };
}
