/**
 * A fragment's dependencies, inferred from its declaration and the closure of
 * the non-fragment helpers it reaches (functions, methods, vars, consts and
 * types of the module). Every lookup goes through the workspace's text index,
 * so only files that declare a reached name are parsed.
 *
 * Known limitations:
 * - `x.M()` on an operand whose type is not written in the declaration
 *   (a call result, a package-level var, a field of something other than a
 *   typed local) matches every method `M` of the same package and of the
 *   in-module packages the file imports. `x.f.M()` with `x` a typed local
 *   (a receiver, a parameter) follows the declared type of field `f`.
 * - Names brought in by dot imports are not resolved.
 */
import { dirOfImport } from "./go-mod.js";
import { importTable } from "./imports.js";
import type { FileCtx, TypeMapper } from "./map-types.js";
import type { TypeExpr } from "./summary-types.js";
import type { Found, GoWorkspace } from "./workspace.js";

export interface Deps {
  fragments: string[];
  libs: string[];
  globalVars: string[];
  typeDefs: string[];
}

/** `${pkgPath}\0${symbol}` -> CFD fragment id. */
export type FragmentIndex = Map<string, string>;

export function fragmentKey(pkgPath: string, symbol: string): string {
  return `${pkgPath}\0${symbol}`;
}

export function collectDeps(
  ws: GoWorkspace,
  mapper: TypeMapper,
  start: Found,
  fragments: FragmentIndex,
  selfId: string,
): Deps {
  const startCtx = mapper.ctxFor(start.file, start.summary);
  const out = {
    fragments: new Set<string>(),
    libs: new Set<string>(),
    globalVars: new Set<string>(),
    typeDefs: new Set<string>(),
  };
  if (!startCtx) return sortDeps(out);
  const seen = new Set<string>();
  const walker: ReferenceWalker = new ReferenceWalker(
    ws,
    mapper,
    {
      reached: (found, ctx) => {
        const id = fragments.get(fragmentKey(ctx.pkgPath, found.decl.symbol));
        if (id === selfId) return;
        if (id !== undefined) {
          out.fragments.add(id);
          return; // another fragment: its own dependencies are its own
        }
        const name = ctx.pkgPath === startCtx.pkgPath ? found.decl.name : `${found.summary.pkgName}.${found.decl.name}`;
        if (found.decl.kind === "variable") out.globalVars.add(name);
        if (found.decl.kind === "type") out.typeDefs.add(name);
        const key = `${found.file}#${found.decl.symbol}#${found.decl.line}`;
        if (seen.has(key)) return;
        seen.add(key);
        walker.follow(found, ctx);
      },
      lib: (path) => out.libs.add(path),
    },
    { guessMethods: true },
  );
  seen.add(`${start.file}#${start.decl.symbol}#${start.decl.line}`);
  walker.follow(start, startCtx);
  walker.run();
  return sortDeps(out);
}

export interface WalkHooks {
  /** A declaration a followed one refers to; call walker.follow() to walk its references too. */
  reached(found: Found, ctx: FileCtx): void;
  /** An import path outside the module that a followed declaration refers to. */
  lib?(path: string): void;
}

export interface WalkOptions {
  /** Reach every declaration of a name in its package (one per build variant), not only the first. */
  allVariants?: boolean;
  /**
   * `x.M()` on an operand whose type is not written down reaches every method
   * `M` of the package and of the in-module packages its file imports.
   */
  guessMethods?: boolean;
}

/**
 * Walks what declarations refer to, by name: package-level names of the same
 * package, `pkg.Name` of in-module packages, methods of operands of known
 * type. The hooks decide what is followed further (collectDeps stops at other
 * fragments; closure.ts follows everything).
 */
export class ReferenceWalker {
  private readonly queue: Array<{ found: Found; ctx: FileCtx }> = [];

  constructor(
    private readonly ws: GoWorkspace,
    private readonly mapper: TypeMapper,
    private readonly hooks: WalkHooks,
    private readonly opts: WalkOptions = {},
  ) {}

  follow(found: Found, ctx: FileCtx): void {
    this.queue.push({ found, ctx });
  }

  run(): void {
    const { ws, mapper, hooks, opts } = this;
    const reachIn = (dir: string, name: string) => {
      const all = opts.allVariants ? ws.findAllTopLevel(dir, name) : [ws.findTopLevel(dir, name)];
      for (const f of all) {
        const ctx = f && mapper.ctxFor(f.file, f.summary);
        if (f && ctx) hooks.reached(f, ctx);
      }
    };
    const reachMethods = (dir: string, name: string, typeName?: string) => {
      for (const f of ws.findMethods(dir, name, typeName)) {
        const ctx = mapper.ctxFor(f.file, f.summary);
        if (ctx) hooks.reached(f, ctx);
      }
    };
    while (this.queue.length > 0) {
      const { found, ctx } = this.queue.shift()!;
      const refs = ws.refs(found);
      const imports = importTable(found.summary, ws, ctx.mod);
      const qualified = (pkg: string, name: string) => {
        const path = imports.byName.get(pkg);
        if (path === undefined) return false;
        const dir = dirOfImport(ctx.mod, path);
        if (dir === undefined) hooks.lib?.(path);
        else reachIn(dir, name);
        return true;
      };

      for (const ident of refs.idents) if (!imports.byName.has(ident)) reachIn(ctx.dir, ident);
      for (const t of refs.types) reachIn(ctx.dir, t);
      for (const q of refs.qualTypes) qualified(q.pkg, q.name);
      for (const sel of refs.selectors) {
        if (sel.operand !== undefined && !sel.operandLocal && qualified(sel.operand, sel.name)) continue;
        const fieldType = sel.operandField && fieldOwner(ws, mapper, sel.operandField, ctx, imports);
        if (sel.operandType) {
          // Known type: its own methods only (none when it is a basic or a third-party type).
          const owner = typeOwner(sel.operandType, ctx, (pkg) => imports.byName.get(pkg));
          if (owner) reachMethods(owner.dir, sel.name, owner.typeName);
        } else if (fieldType !== undefined) {
          // A field of a typed local: the field's declared type's methods (none outside the module).
          if (fieldType) reachMethods(fieldType.dir, sel.name, fieldType.typeName);
        } else if (sel.call && opts.guessMethods) {
          // In-module packages this file imports: also searched for methods of operands of unknown type.
          const moduleDirs = [...imports.byName.values()]
            .map((p) => dirOfImport(ctx.mod, p))
            .filter((d): d is string => d !== undefined);
          for (const dir of [ctx.dir, ...moduleDirs]) reachMethods(dir, sel.name);
        }
      }
    }
  }
}

/**
 * Where the methods of `x.f` live, `x` a local of declared struct type: the
 * field's type's package and name; null when that type has no methods dcm
 * can reach (basic, standard library, third party); undefined when the field
 * cannot be resolved (then every method of the name counts, as before).
 */
function fieldOwner(
  ws: GoWorkspace,
  mapper: TypeMapper,
  via: { ownerType: TypeExpr; field: string },
  ctx: FileCtx,
  imports: { byName: Map<string, string> },
): { dir: string; typeName: string } | null | undefined {
  const owner = typeOwner(via.ownerType, ctx, (pkg) => imports.byName.get(pkg));
  const found = owner && ws.findTopLevel(owner.dir, owner.typeName);
  const struct = found?.decl.kind === "type" ? found.decl.type : undefined;
  if (!found || struct?.k !== "struct") return undefined;
  const field = struct.fields.find((f) => f.names.includes(via.field));
  const fctx = mapper.ctxFor(found.file, found.summary);
  if (!field || !fctx) return undefined;
  const fimports = importTable(found.summary, ws, fctx.mod);
  const base = field.type.k === "pointer" ? field.type.elem : field.type;
  if (base.k !== "name" && base.k !== "qual") return undefined;
  return typeOwner(field.type, fctx, (pkg) => fimports.byName.get(pkg)) ?? null;
}

/** The package directory and type name of a local's declared type (`T`, `*T`, `pkg.T`). */
function typeOwner(
  t: TypeExpr,
  ctx: FileCtx,
  pathOf: (pkg: string) => string | undefined,
): { dir: string; typeName: string } | undefined {
  const base = t.k === "pointer" ? t.elem : t;
  if (base.k === "name") return { dir: ctx.dir, typeName: base.name };
  if (base.k === "qual") {
    const path = pathOf(base.pkg);
    const dir = path === undefined ? undefined : dirOfImport(ctx.mod, path);
    return dir === undefined ? undefined : { dir, typeName: base.name };
  }
  return undefined;
}

function sortDeps(d: {
  fragments: Set<string>;
  libs: Set<string>;
  globalVars: Set<string>;
  typeDefs: Set<string>;
}): Deps {
  const s = (x: Set<string>) => [...x].sort();
  return { fragments: s(d.fragments), libs: s(d.libs), globalVars: s(d.globalVars), typeDefs: s(d.typeDefs) };
}
