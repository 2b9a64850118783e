/**
 * State groups (issue 12, docs/state.md): entry points that share
 * module-level state move together, and each group's state gets two
 * accessor exports per language (`get`/`set`) that the runtimes call to
 * snapshot and restore it.
 *
 * Input: the adapters' `AnalyzedFragment.state` keys and `stateVars`, and the
 * CFD's `group:` / `stateful:`. A union-find joins fragments that share a key
 * or a CFD group name. `stateful: false` keeps a fragment out of the state
 * grouping (its state stays per side and is never moved); `stateful: true`
 * makes a group of it even when the analysis found nothing.
 *
 * Everything here is deterministic: group ids, record names and export
 * numbers depend only on fragment ids and state keys, so the same inputs
 * give the same manifest (and the same module content keys).
 *
 * Known limitations: a group that spans languages (only possible through
 * the CFD's `group:`) has one state part per language, moved together, but
 * each part is restored independently; a failure after the first part was
 * restored leaves the target's first part overwritten (the transfer still
 * reports failure and the group stays where it was).
 */
import { createHash } from "node:crypto";
import type { ManifestGroup, ManifestStatePart } from "../../runtime/abi/manifest-types.js";
import type { RecordDef, Signature, TypeTable, VType } from "../../runtime/abi/value-types.js";
import { diag } from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import type { CfdFragment } from "../cfd/cfd-types.js";
import type { AnalysisResult, AnalyzedFragment, StateAccessorRequest, StateVar } from "../languages/adapter-types.js";
import { compareIds, isCallableFragment, stateExportNames } from "../languages/kit/abi-exports.js";
import { notCallableReason } from "./callability.js";

export interface StateGroupInput {
  language: string;
  result: AnalysisResult;
}

export interface StateGroupPlan {
  /** For Manifest.groups (accessor exports as requested; build-dist fills in what the generators report). */
  groups: ManifestGroup[];
  /** Per language: what its generate() must export. */
  requests: Map<string, StateAccessorRequest[]>;
  /** The state records, to add to the manifest's types and to each language's analysis types. */
  records: TypeTable;
  /** Fragment ids in a group that has state. */
  stateful: Set<string>;
  diagnostics: Diagnostic[];
}

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(x: string): string {
    if (!this.parent.has(x)) this.parent.set(x, x);
    let r = x;
    for (let p = this.parent.get(r)!; p !== r; p = this.parent.get(r)!) r = p;
    return r;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
}

/** An entry point: a fragment the CFD gives `runOn` that can be called (the same rule as the manifest's `notCallable`). */
function isEntry(f: AnalyzedFragment, spec: CfdFragment | undefined): boolean {
  return spec !== undefined && isCallableFragment(f) && notCallableReason(spec, f) === undefined;
}

const keyNode = (language: string, key: string) => `k\u0000${language}\u0000${key}`;
const fragNode = (id: string) => `f\u0000${id}`;
const cfdNode = (name: string) => `g\u0000${name}`;

export function planStateGroups(cfdFragments: CfdFragment[], languages: StateGroupInput[]): StateGroupPlan {
  const specs = new Map(cfdFragments.map((f) => [f.id, f]));
  const uf = new UnionFind();
  const entries: Array<{ f: AnalyzedFragment; language: string }> = [];
  const varsByNode = new Map<string, { v: StateVar; language: string }>();
  for (const { language, result } of languages) {
    for (const v of result.stateVars ?? []) varsByNode.set(keyNode(language, v.key), { v, language });
    for (const f of result.fragments) {
      const spec = specs.get(f.id);
      if (!isEntry(f, spec)) continue;
      entries.push({ f, language });
      const node = fragNode(f.id);
      uf.find(node);
      if (spec?.group !== undefined) uf.union(node, cfdNode(spec.group));
      if (spec?.stateful === false) continue;
      for (const key of f.state ?? []) uf.union(node, keyNode(language, key));
    }
  }

  // Components with a reason to exist: shared state, a CFD group, or `stateful: true`.
  const members = new Map<string, Array<{ f: AnalyzedFragment; language: string }>>();
  for (const e of entries) {
    const root = uf.find(fragNode(e.f.id));
    const list = members.get(root) ?? [];
    list.push(e);
    members.set(root, list);
  }
  const keysOf = new Map<string, Array<{ v: StateVar; language: string }>>();
  for (const [node, v] of varsByNode) {
    const root = uf.find(node);
    if (!members.has(root)) continue;
    const list = keysOf.get(root) ?? [];
    list.push(v);
    keysOf.set(root, list);
  }

  interface Draft {
    id: string;
    fragments: string[];
    reasons: Array<"state" | "cfd">;
    vars: Array<{ v: StateVar; language: string }>;
  }
  const drafts: Draft[] = [];
  for (const [root, list] of members) {
    const vars = (keysOf.get(root) ?? []).sort(
      (a, b) => compareIds(a.language, b.language) || compareIds(a.v.key, b.v.key),
    );
    const ids = list.map((e) => e.f.id).sort(compareIds);
    const cfdNames = [
      ...new Set(list.flatMap((e) => (specs.get(e.f.id)?.group !== undefined ? [specs.get(e.f.id)!.group!] : []))),
    ].sort(compareIds);
    const forced = list.some((e) => specs.get(e.f.id)?.stateful === true);
    if (!vars.length && !cfdNames.length && !forced) continue;
    const reasons: Draft["reasons"] = [];
    if (vars.length || forced) reasons.push("state");
    if (cfdNames.length) reasons.push("cfd");
    drafts.push({ id: cfdNames[0] ?? `group-${ids[0]}`, fragments: ids, reasons, vars });
  }
  drafts.sort((a, b) => compareIds(a.id, b.id));

  const diagnostics: Diagnostic[] = [];
  const requests = new Map<string, StateAccessorRequest[]>();
  const records: TypeTable = {};
  const stateful = new Set<string>();
  const groups: ManifestGroup[] = [];
  const typesByLanguage = new Map(languages.map((l) => [l.language, l.result.types]));
  let partNo = 0;
  for (const d of drafts) {
    const byLanguage = new Map<string, StateVar[]>();
    for (const { v, language } of d.vars) {
      if (v.cannotEncode || !v.type) {
        diagnostics.push(notEncodable(v, d, entries));
        continue;
      }
      const list = byLanguage.get(language) ?? [];
      list.push(v);
      byLanguage.set(language, list);
    }
    const parts: ManifestStatePart[] = [];
    const several = byLanguage.size > 1;
    for (const [language, vars] of [...byLanguage].sort(([a], [b]) => compareIds(a, b))) {
      partNo++;
      const record = `DcmState${partNo}`;
      const fields = fieldNames(vars);
      records[record] = {
        name: record,
        origin: `$state.${d.id}`,
        fields: vars.map((v, i) => ({ name: fields[i]!, jsonName: fields[i]!, type: v.type! })),
      };
      const rec: VType = { kind: "record", name: record };
      const base = several ? `$state.${d.id}.${language}` : `$state.${d.id}`;
      const names = stateExportNames(partNo);
      const getSig: Signature = { params: [], results: [rec], error: false };
      const setSig: Signature = { params: [{ name: "state", type: rec }], results: [], error: false };
      const req: StateAccessorRequest = {
        group: d.id,
        get: { id: `${base}.get`, export: names.get, signature: getSig, abi: "buffer" },
        set: { id: `${base}.set`, export: names.set, signature: setSig, abi: "buffer" },
        record,
        vars,
      };
      const list = requests.get(language) ?? [];
      list.push(req);
      requests.set(language, list);
      parts.push({
        language,
        record,
        get: req.get,
        set: req.set,
        vars: vars.map((v, i) => ({
          name: v.name,
          unit: v.unit,
          field: fields[i]!,
          source: { file: v.pos.file, line: v.pos.line },
        })),
      });
    }
    if (parts.length || d.reasons.includes("state")) for (const id of d.fragments) stateful.add(id);
    groups.push({
      id: d.id,
      fragments: d.fragments,
      reasons: d.reasons,
      state: parts,
      stateVersion: stateVersion(parts, (language) => ({ ...typesByLanguage.get(language), ...records })),
    });
  }
  return { groups, requests, records, stateful, diagnostics };
}

/** Field names: the variable names, a repeated one with `_2`, `_3`… in key order. */
function fieldNames(vars: StateVar[]): string[] {
  const used = new Set<string>();
  return vars.map((v) => {
    const base = v.name.replace(/[^A-Za-z0-9_]/g, "_") || "_";
    let name = base;
    for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
    used.add(name);
    return name;
  });
}

function notEncodable(
  v: StateVar,
  d: { id: string },
  entries: Array<{ f: AnalyzedFragment; language: string }>,
): Diagnostic {
  const users = entries
    .filter((e) => e.f.state?.includes(v.key))
    .map((e) => e.f.id)
    .sort(compareIds);
  const why = v.cannotEncode ? `: ${v.cannotEncode.what}` : "";
  const where = v.cannotEncode
    ? ` (${v.cannotEncode.pos.file}:${v.cannotEncode.pos.line}:${v.cannotEncode.pos.col})`
    : "";
  const named = users.map((u) => `\`${u}\``).join(", ");
  return diag(
    "DCM_STATE_NOT_ENCODABLE",
    `Module-level variable \`${v.name}\` (${v.unit}) keeps state for fragment${users.length === 1 ? "" : "s"} ${named} (group \`${d.id}\`), but its value cannot be moved between client and server${why}${where}.`,
    {
      pos: v.pos,
      suggestion: [
        v.cannotEncode?.suggestion,
        "give the variable a value-model type (numbers, strings, bytes, lists, maps, records; docs/abi.md)",
        "keep that state out of the fragments",
        `or set \`stateful: false\` on ${named} in the CFD: each side then keeps its own copy, which is not moved`,
      ]
        .filter(Boolean)
        .join("; "),
      ...(users.length ? { fragment: users[0] } : {}),
    },
  );
}

/**
 * sha256 over what decides whether a snapshot fits a module: each part's
 * language, field names and types, records expanded (by field, not by the
 * record's name, which may change between builds).
 */
function stateVersion(parts: ManifestStatePart[], typesOf: (language: string) => TypeTable): string {
  const shape = parts.map((p) => {
    const types = typesOf(p.language);
    const rec = types[p.record]!;
    return { language: p.language, fields: rec.fields.map((f) => [f.name, expand(f.type, types, [])]) };
  });
  return createHash("sha256").update(JSON.stringify(shape)).digest("hex");
}

function expand(t: VType, types: TypeTable, seen: string[]): unknown {
  switch (t.kind) {
    case "list":
      return ["list", expand(t.elem, types, seen)];
    case "array":
      return ["array", t.length, expand(t.elem, types, seen)];
    case "map":
      return ["map", expand(t.key, types, seen), expand(t.value, types, seen)];
    case "optional":
      return ["optional", expand(t.inner, types, seen)];
    case "record": {
      const depth = seen.indexOf(t.name);
      if (depth >= 0) return ["recursive", seen.length - depth];
      const def: RecordDef | undefined = types[t.name];
      if (!def) return ["record?", t.name];
      return ["record", def.fields.map((f) => [f.jsonName, expand(f.type, types, [...seen, t.name])])];
    }
    case "int":
      return [t.kind, t.bits, t.signed];
    case "float":
      return [t.kind, t.bits];
    default:
      return [t.kind];
  }
}
