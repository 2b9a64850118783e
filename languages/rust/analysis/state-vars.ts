/**
 * State vars of a Rust crate (issue 12, docs/state.md): the statics that
 * code reachable from some fragment may change (state-closure.ts), each
 * fragment's `state` (the keys its closure reads or writes), and the value
 * type each var's snapshot has (the `T` inside Mutex/RwLock/Cell/RefCell,
 * the integer of an atomic, the type of a `static mut`), mapped like a
 * signature's types; what has no value-model type is `cannotEncode`.
 * A static only read anywhere in that code is not state.
 */
import type { AnalyzedFragment, CrossingProblem, StateVar } from "../../../src/languages/adapter-types.js";
import type { RustNamedType, RustPrim, RustStateDetail, RustType } from "../rust-types.js";
import { ClosureWalker } from "./state-closure.js";
import type { StaticInfo } from "./state-statics.js";
import type { FileCtx, Problem, TypeMapper } from "./map-types.js";
import { reachableNamed, toVType } from "./vtypes.js";
import type { Decl, RustWorkspace } from "./workspace.js";

export interface StateFragment {
  out: AnalyzedFragment;
  decl: Decl;
  ctx: FileCtx;
}

/** Found before record names are assigned; `finish` turns them into StateVars. */
export interface PendingStateVar {
  key: string;
  info: StaticInfo;
  type?: RustType;
  cannotEncode?: CrossingProblem;
}

// Core's diagnostic adds the generic ways out (`stateful: false`, keeping the state out of the fragments).
const DEFAULT_FIX =
  "keep only plain data in it (numbers, strings, Vec, Option, HashMap/BTreeMap, the crate's structs); open files, sockets and handles anew on each side";

/** Sets each fragment's `state` and returns the vars (types still Rust types). */
export function findStateVars(fragments: StateFragment[], ws: RustWorkspace, mapper: TypeMapper): PendingStateVar[] {
  const walker = new ClosureWalker(ws, mapper, mapper.crate.root);
  const idOf = (s: StaticInfo) => `${s.ctx.file}\0${s.name}`;
  const perFragment = new Map<StateFragment, StaticInfo[]>();
  const written = new Map<string, StaticInfo>();
  for (const f of fragments) {
    if (f.decl.item !== "fn") continue;
    const uses = walker.closure({ decl: f.decl, ctx: f.ctx });
    perFragment.set(f, uses.map((u) => u.info));
    for (const u of uses) if (u.write && u.info.access) written.set(idOf(u.info), u.info);
  }
  const vars = new Map<string, PendingStateVar>();
  for (const [id, info] of [...written].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const key = `${["crate", ...info.ctx.modPath].join("::")}.${info.name}`;
    vars.set(id, { key, info, ...mapValue(info, mapper) });
  }
  for (const [f, infos] of perFragment) {
    const keys = [...new Set(infos.map((i) => vars.get(idOf(i))?.key).filter((k): k is string => k !== undefined))].sort();
    if (keys.length) f.out.state = keys;
  }
  return [...vars.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function mapValue(info: StaticInfo, mapper: TypeMapper): { type?: RustType; cannotEncode?: CrossingProblem } {
  const decl = `${info.threadLocal ? "thread_local! static" : "static"} \`${info.name}: ${info.typeNode.text}\``;
  if (info.refuse) return { cannotEncode: { what: `${decl} is ${info.refuse.what}`, pos: info.pos, suggestion: info.refuse.suggestion } };
  if (info.atomicPrim) return { type: { k: "prim", name: info.atomicPrim as RustPrim } };
  const problems: Problem[] = [];
  const t = info.valueNode ? mapper.map(info.valueNode, info.ctx, "field", problems) : undefined;
  if (t && problems.length === 0) return { type: t };
  const p = problems[0];
  return {
    cannotEncode: {
      what: `${decl}: ${p?.message ?? "its value has no value-model type"}`,
      pos: info.pos,
      suggestion: p?.suggestion ?? DEFAULT_FIX,
    },
  };
}

/** StateVars with value-model types (after record names are assigned). */
export function finishStateVars(pending: PendingStateVar[], named: Record<string, RustNamedType>): StateVar[] {
  return pending.map((v) => {
    const { info } = v;
    const typeKeys = new Set<string>();
    if (v.type) reachableNamed(v.type, named, typeKeys);
    const detail: RustStateDetail = {
      access: info.access!,
      threadLocal: info.threadLocal,
      lazy: info.lazy,
      file: info.ctx.file,
      modPath: info.ctx.modPath,
      name: info.name,
      typeText: info.atomicPrim ?? info.valueNode?.text ?? info.typeNode.text,
      typeKeys: [...typeKeys].sort(),
    };
    return {
      key: v.key,
      name: info.name,
      unit: ["crate", ...info.ctx.modPath].join("::"),
      pos: info.pos,
      ...(v.type ? { type: toVType(v.type, named) } : {}),
      ...(v.cannotEncode ? { cannotEncode: v.cannotEncode } : {}),
      detail,
    };
  });
}
