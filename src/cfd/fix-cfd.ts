/**
 * `dcm validate --fix`: writes detected dependencies the CFD does not list
 * into it. The CFD is a hand-written file, so edits are spliced into the
 * original text at offsets taken from the parsed document: everything not
 * edited (comments, blank lines, quoting, spacing, key order) stays
 * byte-identical, which re-serialising a YAML document cannot promise.
 *
 * Edits stay in the CFD's own dialect (compare-detected.ts listAllowed): a
 * CFD that uses `globalVar: true`/`typeDef: true` as the paper's flags never
 * gets dcm's list forms of those keys, which the paper's tools cannot read;
 * an import the file aliases is written as `alias path`.
 */
import { isAlias, isMap, isScalar, isSeq, type Node, type Pair, parse, type YAMLMap, type YAMLSeq } from "yaml";
import { DcmError } from "../../runtime/diagnostics/catalog.js";
import { type DetectedDeps, entryText, missingItems } from "./compare-detected.js";
import { type CfdSource, parseCfd } from "./load-cfd.js";

/** Where a new key goes: after the last present key that comes before it in the paper's order. */
const ORDER = ["id", "name", "runOn", "dependsOn", "location", "libs", "globalVar", "typeDef"];
const FIX_ORDER = ["dependsOn", "libs", "globalVar", "typeDef"] as const;

type ListStyle =
  | { flow: true; open: string; sep: string; close: string }
  | {
      flow: false;
      /** Dash column minus key column. */
      dashOffset: number;
      afterDash: string;
    };

const DEFAULT_STYLE: ListStyle = { flow: true, open: "", sep: ", ", close: "" };

interface Editor {
  text: string;
  eol: string;
  /** offset → text to insert there, in the order the edits were made. */
  inserts: Map<number, string>;
}

/**
 * Returns the CFD text with the missing detected items added; the same text
 * (identical string) when nothing is missing. Throws DcmError when the CFD
 * itself has errors: fixing on top of a broken file would hide them.
 */
export function fixCfdText(text: string, detected: Map<string, DetectedDeps>, file = "cfd.yaml"): string {
  const { cfd, diagnostics, source } = parseCfd(text, file);
  if (!cfd || !source) throw new DcmError(diagnostics.filter((d) => d.severity === "error"));
  const ed: Editor = { text, eol: text.includes("\r\n") ? "\r\n" : "\n", inserts: new Map() };
  const docStyle = firstListStyle(
    ed,
    [...source.fragments.values()].map((f) => f.node),
  );

  for (const frag of cfd.fragments) {
    const found = detected.get(frag.id);
    const entry = source.fragments.get(frag.id);
    if (!found || !entry) continue;
    const node = entry.node;
    const style = node.flow
      ? flowOf(firstListStyle(ed, [node]))
      : (firstListStyle(ed, [node]) ?? docStyle ?? DEFAULT_STYLE);
    for (const key of FIX_ORDER) {
      const missing = missingItems(cfd, frag, key, found);
      if (missing.length === 0) continue;
      const items = missing.map((m) =>
        key === "dependsOn" ? idText(source, m) : key === "libs" ? libScalar(entryText(key, m, found)) : scalarText(m),
      );
      const pair = node.items.find((p) => keyName(p) === key);
      // A list shared through an alias (`libs: *common`) is left alone: editing it would change other fragments.
      if (pair && isAlias(pair.value)) continue;
      if (pair && isSeq(pair.value)) appendToSeq(ed, pair.value, items, style);
      else if (pair) fillEmpty(ed, node, pair, items, style);
      else addKey(ed, node, key, items, style);
    }
  }
  if (ed.inserts.size === 0) return text;

  let out = text;
  for (const [at, insert] of [...ed.inserts].sort((a, b) => b[0] - a[0]))
    out = out.slice(0, at) + insert + out.slice(at);
  // A fix that breaks the file would be worse than no fix; this is a bug guard.
  const check = parseCfd(out, file);
  if (!check.cfd)
    throw new Error(
      `dcm: internal error, --fix produced an invalid CFD: ${check.diagnostics.map((d) => d.message).join("; ")}`,
    );
  return out;
}

function insert(ed: Editor, at: number, s: string): void {
  ed.inserts.set(at, (ed.inserts.get(at) ?? "") + s);
}

/** Add items after the last element of an existing list, in that list's own style. */
function appendToSeq(ed: Editor, seq: YAMLSeq, items: string[], style: ListStyle): void {
  const elems = seq.items as Node[];
  const last = elems[elems.length - 1];
  if (seq.flow) {
    if (!last) {
      insert(ed, seq.range![0] + 1, items.join(style.flow ? style.sep : ", "));
      return;
    }
    const between = elems.length >= 2 ? ed.text.slice(elems[0]!.range![1], elems[1]!.range![0]) : "";
    const sep = between.includes(",") && !between.includes("#") ? between : style.flow ? style.sep : ", ";
    insert(ed, last.range![1], items.map((i) => sep + i).join(""));
    return;
  }
  const first = elems[0]!;
  const prefix = ed.text.slice(lineStart(ed.text, first.range![0]), first.range![0]);
  const dashPrefix = /^[ ]*-[ ]+$/.test(prefix) ? prefix : `${" ".repeat(column(ed.text, seq.range![0]))}- `;
  insert(ed, lineEnd(ed.text, last!.range![1] - 1), items.map((i) => ed.eol + dashPrefix + i).join(""));
}

/** `libs:` with no value: put the list right there. */
function fillEmpty(ed: Editor, map: YAMLMap, pair: Pair, items: string[], style: ListStyle): void {
  const key = pair.key as Node;
  const colon = ed.text.indexOf(":", key.range![1]);
  if (style.flow) {
    insert(ed, colon + 1, ` [${style.open}${items.join(style.sep)}${style.close}]`);
  } else {
    const pad = " ".repeat(keyColumn(ed.text, map) + style.dashOffset);
    insert(ed, lineEnd(ed.text, colon), items.map((i) => `${ed.eol}${pad}-${style.afterDash}${i}`).join(""));
  }
}

function addKey(ed: Editor, map: YAMLMap, key: string, items: string[], style: ListStyle): void {
  const pairs = map.items as Pair[];
  if (map.flow) {
    const last = pairs[pairs.length - 1]!;
    const end = pairEnd(ed.text, last);
    const between =
      pairs.length >= 2 ? ed.text.slice(pairEnd(ed.text, pairs[0]!), (pairs[1]!.key as Node).range![0]) : "";
    const sep = between.includes(",") && !between.includes("#") ? between : ", ";
    const s = style.flow ? style : (DEFAULT_STYLE as Extract<ListStyle, { flow: true }>);
    insert(ed, end, `${sep}${key}: [${s.open}${items.join(s.sep)}${s.close}]`);
    return;
  }
  const before = new Set(ORDER.slice(0, ORDER.indexOf(key)));
  const anchor = [...pairs].reverse().find((p) => before.has(keyName(p))) ?? pairs[pairs.length - 1]!;
  const keyCol = keyColumn(ed.text, map);
  const pad = " ".repeat(keyCol);
  const value = style.flow
    ? ` [${style.open}${items.join(style.sep)}${style.close}]`
    : items.map((i) => `${ed.eol}${" ".repeat(keyCol + style.dashOffset)}-${style.afterDash}${i}`).join("");
  insert(ed, lineEnd(ed.text, pairEnd(ed.text, anchor) - 1), `${ed.eol}${pad}${key}:${value}`);
}

/** The style of the first list value found in these fragments, so new lists look like their neighbours. */
function firstListStyle(ed: Editor, maps: YAMLMap[]): ListStyle | undefined {
  for (const map of maps) {
    for (const pair of map.items as Pair[]) {
      const seq = pair.value;
      if (!isSeq(seq) || seq.items.length === 0) continue;
      const elems = seq.items as Node[];
      const first = elems[0]!;
      if (seq.flow) {
        const open = ed.text.slice(seq.range![0] + 1, first.range![0]);
        const lastEnd = elems[elems.length - 1]!.range![1];
        const close = ed.text.slice(lastEnd, seq.range![1] - 1);
        const between = elems.length >= 2 ? ed.text.slice(first.range![1], elems[1]!.range![0]) : ", ";
        const clean = (s: string, fallback: string) => (/^[ ]*$/.test(s) ? s : fallback);
        return {
          flow: true,
          open: clean(open, ""),
          sep: /^[ ]*,[ ]*$/.test(between) ? between : ", ",
          close: clean(close, ""),
        };
      }
      const dash = seq.range![0];
      const afterDash = ed.text.slice(dash + 1, first.range![0]);
      const dashOffset = column(ed.text, dash) - keyColumn(ed.text, map);
      return {
        flow: false,
        dashOffset: Math.max(0, dashOffset),
        afterDash: /^[ ]+$/.test(afterDash) ? afterDash : " ",
      };
    }
  }
  return undefined;
}

function flowOf(style: ListStyle | undefined): ListStyle {
  return style?.flow ? style : DEFAULT_STYLE;
}

/** Ids go back in the form their fragment declares: `6` for `id: 6`. */
function idText(source: CfdSource, id: string): string {
  return source.fragments.get(id)?.idIsInt ? id : scalarText(id);
}

/** `mathematics math` stays plain, as the paper writes it, when both words would. */
function libScalar(entry: string): string {
  const words = entry.split(" ");
  if (words.length === 2 && words.every((w) => scalarText(w) === w)) return entry;
  return scalarText(entry);
}

/** Plain when it reads back as the same string in block and flow context, else double-quoted. */
export function scalarText(s: string): string {
  if (/^[A-Za-z0-9_$][\w$./@+~-]*$/.test(s) && parse(s) === s) return s;
  return JSON.stringify(s);
}

function keyName(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

/** End of a pair's last token, ignoring comments and blank lines that a block collection's range takes in. */
function pairEnd(text: string, pair: Pair): number {
  const v = pair.value as Node | null;
  const key = pair.key as Node;
  if (v && (isMap(v) || isSeq(v)) && !v.flow && v.items.length > 0) {
    const last = v.items[v.items.length - 1] as Node | Pair;
    return isMap(v) ? pairEnd(text, last as Pair) : (last as Node).range![1];
  }
  if (v?.range && v.range[1] > v.range[0]) return v.range[1];
  // `key:` with no value: end just after its colon.
  return text.indexOf(":", key.range![1]) + 1;
}

/** Column of a block map's keys; a key written with an anchor or tag (`&a name:`) starts later, so skip those. */
function keyColumn(text: string, map: YAMLMap): number {
  const starts = (map.items as Pair[]).map((p) => (p.key as Node).range![0]);
  const plain = starts.find((at) => /^[ ]*(?:-[ ]+)*$/.test(text.slice(lineStart(text, at), at)));
  return column(text, plain ?? starts[0]!);
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf("\n", at - 1) + 1;
}

function column(text: string, at: number): number {
  return at - lineStart(text, at);
}

/** Offset of the end of the line holding `at` (before its `\r\n` or `\n`), or the end of the text. */
function lineEnd(text: string, at: number): number {
  const nl = text.indexOf("\n", Math.max(0, at));
  if (nl < 0) return text.length;
  return nl > 0 && text[nl - 1] === "\r" ? nl - 1 : nl;
}
