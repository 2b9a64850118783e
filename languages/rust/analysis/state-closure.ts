/**
 * The closure of a function (everything it calls, transitively) and the
 * statics that closure reads or writes, from names in the bodies without
 * type checking: `f()`, `a::b::f()`, `Type::f()`, `Self::f()` resolve
 * through the file's items, its `use` declarations and the module file
 * convention; a method call `x.m()` may call every method `m` of the
 * caller's file and of the files declaring the types the caller names.
 * Files are parsed when the closure reaches them, not before.
 *
 * A use of a static is a write when the code may change it: assigned (also
 * through a field or index, or compound), borrowed `&mut`, `addr_of_mut!`,
 * or the receiver of a method call (`static mut`); `lock`/`write`/`store`/
 * `fetch_*`/`set`/`borrow_mut`… (interior mutability); or handed to other
 * code by reference (`helper(&LOCK)`), which may change it out of sight.
 *
 * Known limitations: over-approximates (a local that shadows a function or a
 * static counts as a use of it; a method call counts for every method of
 * that name in those files); trait-impl methods, functions of inline
 * `mod { }` blocks and calls through function pointers or trait objects are
 * not followed; changes made only by a dependency crate are not seen.
 */
import type { Decl, RustWorkspace } from "./workspace.js";
import { baseTypeName, fileOfModPath, pathSegments } from "./workspace.js";
import type { FileCtx, TypeMapper } from "./map-types.js";
import type { Node } from "./rust-parser.js";
import { localStatic, type StaticInfo, staticsOf } from "./state-statics.js";

export interface FnNode {
  decl: Decl;
  ctx: FileCtx;
}

export interface StaticUse {
  info: StaticInfo;
  write: boolean;
}

type Target = { k: "fn"; fn: FnNode } | { k: "static"; info: StaticInfo };

const MUTATING_METHODS: Record<string, Set<string>> = {
  mutex: new Set(["lock", "try_lock", "get_mut", "clear_poison"]),
  rwlock: new Set(["write", "try_write", "get_mut", "clear_poison"]),
  atomic: new Set([
    "store", "swap", "fetch_add", "fetch_sub", "fetch_and", "fetch_nand", "fetch_or", "fetch_xor", "fetch_not",
    "fetch_max", "fetch_min", "fetch_update", "compare_exchange", "compare_exchange_weak", "compare_and_swap", "get_mut",
  ]),
  cell: new Set(["set", "replace", "take", "with_borrow_mut", "update"]),
  refcell: new Set(["set", "replace", "take", "with_borrow_mut"]),
};
/** Inside `X.with(|c| …)` on a thread-local Cell/RefCell: calls that change the value. */
const CELL_WRITE = /\.\s*(set|replace|replace_with|take|swap|update|borrow_mut|try_borrow_mut|get_mut)\s*\(/;
const MODULE_KEYWORDS = new Set(["crate", "self", "super"]);

const fnKey = (f: FnNode) => `${f.ctx.file}:${f.decl.node.startIndex}`;

export class ClosureWalker {
  private readonly direct = new Map<string, { callees: FnNode[]; uses: StaticUse[] }>();
  private readonly lookups = new Map<string, Target[]>();

  constructor(
    private readonly ws: RustWorkspace,
    private readonly mapper: TypeMapper,
    private readonly root: string,
  ) {}

  /** The static uses of `start` and of everything it calls, transitively. */
  closure(start: FnNode): StaticUse[] {
    const seen = new Set<string>();
    const uses: StaticUse[] = [];
    const stack = [start];
    while (stack.length) {
      const f = stack.pop()!;
      const key = fnKey(f);
      if (seen.has(key)) continue;
      seen.add(key);
      const d = this.directOf(f);
      uses.push(...d.uses);
      stack.push(...d.callees);
    }
    return uses;
  }

  private directOf(f: FnNode): { callees: FnNode[]; uses: StaticUse[] } {
    const key = fnKey(f);
    const have = this.direct.get(key);
    if (have) return have;
    const out = { callees: [] as FnNode[], uses: [] as StaticUse[] };
    this.direct.set(key, out);
    const selfType = f.decl.implType ? baseTypeName(f.decl.implType) : undefined;
    const methodFiles = this.methodFiles(f);
    const take = (targets: Target[], at: Node) => {
      for (const t of targets) {
        if (t.k === "fn") out.callees.push(t.fn);
        else out.uses.push({ info: t.info, write: writes(at, t.info) });
      }
    };
    const visit = (n: Node): void => {
      switch (n.type) {
        case "scoped_identifier": {
          const segs = pathSegments(n);
          take(this.resolvePath(segs, f.ctx, 0, selfType), n);
          return;
        }
        case "identifier": {
          if (n.parent?.type === "function_item" && n.parent.childForFieldName("name")?.id === n.id) return;
          take(this.lookupValue(n.text, f.ctx, 0), n);
          return;
        }
        case "field_expression": {
          const call = n.parent;
          if (call?.type === "call_expression" && call.childForFieldName("function")?.id === n.id) {
            const m = n.childForFieldName("field")?.text ?? "";
            for (const file of methodFiles) for (const fn of this.methodsNamed(file, m)) out.callees.push(fn);
          }
          break;
        }
        case "static_item": {
          // Declaring a mutable static inside a function is done to change it: counted as written.
          const info = n.parent?.type === "source_file" ? undefined : localStatic(f.ctx, n, f.decl.name);
          if (info) out.uses.push({ info, write: true });
          break;
        }
        case "macro_invocation": {
          const name = n.childForFieldName("macro")?.text ?? "";
          for (const c of n.namedChildren) if (c.type === "token_tree") this.visitTokens(c, name, f, selfType, methodFiles, out);
          return;
        }
      }
      for (const c of n.namedChildren) visit(c);
    };
    visit(f.decl.node);
    return out;
  }

  /** Macro arguments are tokens: `a :: b` paths and `X . m (` method calls are read from the token sequence. */
  private visitTokens(
    tt: Node,
    macro: string,
    f: FnNode,
    selfType: string | undefined,
    methodFiles: string[],
    out: { callees: FnNode[]; uses: StaticUse[] },
  ): void {
    const kids = tt.children;
    for (let i = 0; i < kids.length; i++) {
      const k = kids[i]!;
      if (k.type === "token_tree") {
        this.visitTokens(k, macro, f, selfType, methodFiles, out);
        continue;
      }
      if (k.type === "." && kids[i + 1]?.type === "identifier" && kids[i + 2]?.type === "token_tree") {
        for (const file of methodFiles) for (const fn of this.methodsNamed(file, kids[i + 1]!.text)) out.callees.push(fn);
        i++;
        continue;
      }
      if (k.type !== "identifier" && !MODULE_KEYWORDS.has(k.type)) continue;
      const segs = [k.text];
      let j = i;
      while (kids[j + 1]?.type === "::" && kids[j + 2] && (kids[j + 2]!.type === "identifier" || MODULE_KEYWORDS.has(kids[j + 2]!.type))) {
        segs.push(kids[j + 2]!.text);
        j += 2;
      }
      const method = kids[j + 1]?.type === "." && kids[j + 2]?.type === "identifier" ? kids[j + 2]!.text : undefined;
      const mutBorrow = kids[i - 1]?.type === "mutable_specifier" || kids[i - 1]?.text === "mut";
      for (const t of segs.length === 1 ? this.lookupValue(segs[0]!, f.ctx, 0) : this.resolvePath(segs, f.ctx, 0, selfType)) {
        if (t.k === "fn") {
          out.callees.push(t.fn);
          continue;
        }
        const write =
          /(^|::)addr_of_mut$/.test(macro) ||
          mutBorrow ||
          (method !== undefined && methodWrites(t.info, method, kids[j + 3]?.text ?? ""));
        out.uses.push({ info: t.info, write });
      }
      i = j;
    }
  }

  /** The caller's file and the files of the crate types it names: where `x.m()` may land. */
  private methodFiles(f: FnNode): string[] {
    const files = new Set([f.ctx.file]);
    const walk = (n: Node) => {
      if (n.type === "type_identifier") {
        try {
          const found = this.mapper.locate([n.text], f.ctx, 0);
          if (found && found !== "external") files.add(found.fctx.file);
        } catch {
          // an unreadable module file: nothing to add
        }
      }
      for (const c of n.namedChildren) walk(c);
    };
    walk(f.decl.node);
    return [...files].sort();
  }

  private methodsNamed(file: string, name: string): FnNode[] {
    const ctx = this.ctx(file);
    if (!ctx) return [];
    return ctx.summary.decls.filter((d) => d.item === "fn" && d.implType && d.name === name).map((decl) => ({ decl, ctx }));
  }

  private ctx(file: string): FileCtx | undefined {
    try {
      return this.mapper.ctxFor(file);
    } catch {
      return undefined;
    }
  }

  /** Functions and statics named `name` in the module of ctx: its own items, then its `use`s. */
  private lookupValue(name: string, ctx: FileCtx, hops: number): Target[] {
    if (hops > 8) return [];
    const memo = `${ctx.file}\0${name}`;
    const have = this.lookups.get(memo);
    if (have) return have;
    this.lookups.set(memo, []);
    let found: Target[] = [
      ...ctx.summary.decls.filter((d) => d.item === "fn" && !d.implType && d.name === name).map((decl): Target => ({ k: "fn", fn: { decl, ctx } })),
      ...staticsOf(ctx).filter((s) => s.name === name).map((info): Target => ({ k: "static", info })),
    ];
    if (found.length === 0) {
      const u = ctx.summary.uses.find((x) => x.alias === name);
      if (u) found = this.resolvePath(u.path, ctx, hops + 1);
      else
        for (const g of ctx.summary.uses.filter((x) => x.alias === "*")) {
          found = this.resolvePath([...g.path, name], ctx, hops + 1);
          if (found.length) break;
        }
    }
    this.lookups.set(memo, found);
    return found;
  }

  private resolvePath(segs: string[], ctx: FileCtx, hops: number, selfType?: string): Target[] {
    if (hops > 8 || segs.length === 0) return [];
    if (segs.length === 1) return MODULE_KEYWORDS.has(segs[0]!) ? [] : this.lookupValue(segs[0]!, ctx, hops);
    const name = segs[segs.length - 1]!;
    const prefix = segs.slice(0, -1);
    if (prefix.length === 1 && prefix[0] === "Self")
      return selfType ? this.methodsOf(ctx.file, selfType, name).map((fn): Target => ({ k: "fn", fn })) : [];
    const mod = this.resolveModule(prefix, ctx, hops);
    if (mod) return this.lookupValue(name, mod, hops + 1);
    // `Type::f`: an associated function of a crate type, in the caller's file or the type's.
    const typeName = prefix[prefix.length - 1]!.replace(/<.*$/, "");
    const files = new Set([ctx.file]);
    try {
      const found = this.mapper.locate(prefix, ctx, 0);
      if (found && found !== "external") files.add(found.fctx.file);
    } catch {
      // not a crate type
    }
    return [...files].flatMap((file) => this.methodsOf(file, typeName, name)).map((fn): Target => ({ k: "fn", fn }));
  }

  private methodsOf(file: string, typeName: string, name: string): FnNode[] {
    return this.methodsNamed(file, name).filter((f) => f.decl.implType && baseTypeName(f.decl.implType) === typeName);
  }

  /** The file of the module a path prefix names, seen from ctx; undefined for other crates' modules and types. */
  private resolveModule(segs: string[], ctx: FileCtx, hops: number): FileCtx | undefined {
    if (hops > 8) return undefined;
    const first = segs[0]!;
    let mod: string[];
    let i = 0;
    if (first === "crate") {
      mod = [];
      i = 1;
    } else if (first === "self" || first === "super") {
      mod = [...ctx.modPath];
      while (segs[i] === "self" || segs[i] === "super") {
        if (segs[i] === "super") mod.pop();
        i++;
      }
    } else if (ctx.summary.mods.includes(first)) {
      mod = [...ctx.modPath];
    } else {
      const u = ctx.summary.uses.find((x) => x.alias === first);
      if (u && MODULE_KEYWORDS.has(u.path[0]!)) return this.resolveModule([...u.path, ...segs.slice(1)], ctx, hops + 1);
      if (first === this.mapper.crate.name.replaceAll("-", "_")) {
        mod = [];
        i = 1;
      } else return undefined;
    }
    const file = fileOfModPath(this.ws, this.root, [...mod, ...segs.slice(i)]);
    return file ? this.ctx(file) : undefined;
  }
}

/** Whether this use of a static (an identifier or path node in code) may change it. */
function writes(n: Node, info: StaticInfo): boolean {
  let e = n;
  for (;;) {
    const p = e.parent;
    if (!p) return false;
    if (p.type === "field_expression" && p.childForFieldName("value")?.id === e.id) {
      const call = p.parent;
      if (call?.type === "call_expression" && call.childForFieldName("function")?.id === p.id)
        return methodWrites(info, p.childForFieldName("field")?.text ?? "", call.childForFieldName("arguments")?.text ?? "");
      e = p;
      continue;
    }
    if (p.type === "index_expression" && p.namedChildren[0]?.id === e.id) {
      e = p;
      continue;
    }
    if ((p.type === "assignment_expression" || p.type === "compound_assignment_expr") && p.childForFieldName("left")?.id === e.id) return true;
    if (p.type === "reference_expression") return p.namedChildren.some((c) => c.type === "mutable_specifier") || info.access !== "static-mut";
    if (p.type === "arguments") return info.access !== "static-mut" && e.id === n.id;
    return false;
  }
}

function methodWrites(info: StaticInfo, method: string, args: string): boolean {
  if (!info.access) return false;
  if (info.access === "static-mut") return true;
  if ((info.access === "cell" || info.access === "refcell") && method === "with") return CELL_WRITE.test(args);
  return MUTATING_METHODS[info.access]?.has(method) ?? false;
}
