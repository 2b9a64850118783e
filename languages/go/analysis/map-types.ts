/**
 * Go types as written (TypeExpr) -> GoType, resolving named types of the
 * module into GoAnalysisDetail.named and reporting what cannot cross the
 * boundary. GoType -> VType is in vtypes.ts, once all record names are known.
 *
 * Known limitations: embedded struct fields are refused; array lengths are
 * evaluated from integer literals and simple constant arithmetic only (no
 * iota, no typed conversions); named types declared inside functions are not
 * found.
 */
import { didYouMean } from "../../../src/core/did-you-mean.js";
import type { ErrorCode } from "../../../runtime/diagnostics/catalog.js";
import type { SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { GoBasicName, GoField, GoNamedType, GoType } from "../go-types.js";
import { dirOf, dirOfImport, type GoMod, type GoModFinder, importPathOf, isStdlib } from "./go-mod.js";
import { importTable } from "./imports.js";
import type { ConstExpr, FieldExpr, FileSummary, Pos, TypeExpr } from "./summary-types.js";
import type { GoWorkspace } from "./workspace.js";

export interface Problem {
  code: ErrorCode;
  message: string;
  pos: SourcePos;
  suggestion?: string;
}

/** Where a type is used, for messages: "channel parameter `ch chan int`". */
export interface Site {
  role: "parameter" | "result" | "receiver" | "field" | "type" | "variable";
  name?: string;
  owner?: string;
}

export interface FileCtx {
  file: string;
  summary: FileSummary;
  dir: string;
  mod: GoMod;
  pkgPath: string;
}

const BASIC = new Set<string>([
  "bool",
  "string",
  "int",
  "int8",
  "int16",
  "int32",
  "int64",
  "uint",
  "uint8",
  "uint16",
  "uint32",
  "uint64",
  "byte",
  "rune",
  "float32",
  "float64",
]);
const NUMERIC_ONLY = new Set(["uintptr", "complex64", "complex128"]);
const INTERFACES = new Set(["any", "error", "comparable"]);
const EXPORTED = /^\p{Lu}/u;

export class TypeMapper {
  readonly named: Record<string, GoNamedType> = {};
  private readonly problemsOf = new Map<string, Problem[]>();
  /** Named types being resolved (recursive types) -> whether they are structs. */
  private readonly inProgress = new Map<string, boolean>();

  constructor(
    private readonly ws: GoWorkspace,
    private readonly mods: GoModFinder,
  ) {}

  ctxFor(file: string, summary: FileSummary): FileCtx | undefined {
    const dir = dirOf(file);
    const mod = this.mods.forDir(dir);
    return mod ? { file, summary, dir, mod, pkgPath: importPathOf(mod, dir) } : undefined;
  }

  map(t: TypeExpr, ctx: FileCtx, site: Site, out: Problem[]): GoType | undefined {
    const at = (p: Pos): SourcePos => ({ file: ctx.file, line: p.line, col: p.col });
    const fail = (code: ErrorCode, message: string, suggestion?: string): undefined => {
      out.push({ code, message, pos: at(t.pos), ...(suggestion ? { suggestion } : {}) });
      return undefined;
    };
    const text = typeText(t);
    switch (t.k) {
      case "name":
        if (BASIC.has(t.name)) return { k: "basic", name: t.name as GoBasicName };
        if (INTERFACES.has(t.name))
          return fail(
            "DCM_UNSUPPORTED_TYPE",
            `interface type \`${t.name}\` (${where(site)})`,
            "use a concrete type: a basic type, slice, map or struct",
          );
        if (NUMERIC_ONLY.has(t.name))
          return fail("DCM_UNSUPPORTED_TYPE", `type \`${t.name}\` (${where(site)})`, "use an int, uint or float type");
        return this.mapNamed(ctx.dir, t.name, ctx, t.pos, site, out);
      case "qual": {
        const path = importTable(ctx.summary, this.ws, ctx.mod).byName.get(t.pkg);
        if (path === undefined)
          return fail(
            "DCM_TYPE_NOT_FOUND",
            `type \`${text}\`: package \`${t.pkg}\` is not imported in ${ctx.file} (${where(site)})`,
          );
        const dir = dirOfImport(ctx.mod, path);
        if (dir === undefined) {
          const from = isStdlib(path) ? "the standard library" : "a third-party package";
          return fail(
            "DCM_UNSUPPORTED_TYPE",
            `type from ${from} \`${text}\` (${where(site)})`,
            "convert it to a value-model type at the boundary (e.g. a string), or use a struct declared in this module",
          );
        }
        return this.mapNamed(dir, t.name, ctx, t.pos, site, out);
      }
      case "pointer": {
        const elem = this.map(t.elem, ctx, site, out);
        if (!elem) return undefined;
        if (
          elem.k === "named" &&
          (this.underlying(elem)?.k === "struct" || this.inProgress.get(`${elem.pkgPath}.${elem.name}`))
        ) {
          return { k: "pointer", elem };
        }
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `pointer to a non-struct type \`${text}\` (${where(site)})`,
          `use the value type \`${typeText(t.elem)}\`, or a pointer to a struct`,
        );
      }
      case "slice": {
        const elem = this.map(t.elem, ctx, site, out);
        return elem && { k: "slice", elem };
      }
      case "array": {
        const len = this.evalConst(t.len, ctx, 0);
        const elem = this.map(t.elem, ctx, site, out);
        if (len === undefined || len < 0) {
          return fail(
            "DCM_UNSUPPORTED_CONSTRUCT",
            `array length \`${constText(t.len)}\` that dcm cannot evaluate (${where(site)})`,
            "use an integer literal or an integer constant of this package",
          );
        }
        return elem && { k: "array", len, elem };
      }
      case "map": {
        const key = this.map(t.key, ctx, site, out);
        const value = this.map(t.value, ctx, site, out);
        if (key && this.underlying(key)?.k !== "basic") {
          return fail(
            "DCM_UNSUPPORTED_TYPE",
            `map key type \`${typeText(t.key)}\` (${where(site)})`,
            "use a string, integer, bool or float map key",
          );
        }
        return key && value && { k: "map", key, value };
      }
      case "struct":
        return fail(
          "DCM_UNSUPPORTED_CONSTRUCT",
          `anonymous struct type (${where(site)})`,
          "declare a named struct type and use it here",
        );
      case "generic":
        return fail(
          "DCM_UNSUPPORTED_CONSTRUCT",
          `generic type \`${text}\` (${where(site)})`,
          "declare a non-generic named type and use it here",
        );
      case "chan":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          subject("channel", site, text),
          "pass the values as a slice instead of a channel",
        );
      case "func":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          subject("func-typed", site, text),
          "functions cannot cross the boundary; pass data and choose the function inside the fragment",
        );
      case "interface":
        return fail(
          "DCM_UNSUPPORTED_TYPE",
          `interface type \`${text}\` (${where(site)})`,
          "use a concrete type: a basic type, slice, map or struct",
        );
      default:
        return fail("DCM_UNSUPPORTED_TYPE", `type \`${text}\` (${where(site)})`);
    }
  }

  /** The Go underlying type (through aliases and defined types); undefined while still being resolved. */
  underlying(t: GoType): GoType | undefined {
    let cur: GoType | undefined = t;
    for (let i = 0; cur?.k === "named" && i < 32; i++) cur = this.named[`${cur.pkgPath}.${cur.name}`]?.underlying;
    return cur;
  }

  private mapNamed(
    dir: string,
    name: string,
    use: FileCtx,
    usePos: Pos,
    site: Site,
    out: Problem[],
  ): GoType | undefined {
    const at: SourcePos = { file: use.file, line: usePos.line, col: usePos.col };
    const found = this.ws.findTopLevel(dir, name);
    const mod = this.mods.forDir(dir);
    const pkgPath = mod ? importPathOf(mod, dir) : dir;
    if (found?.decl.kind !== "type" || !mod) {
      const hint = didYouMean(name, this.ws.declaredNames(dir, true));
      out.push({
        code: "DCM_TYPE_NOT_FOUND",
        message: `type \`${name}\` is not declared in package \`${pkgPath}\` (${where(site)})`,
        pos: at,
        ...(hint ? { suggestion: hint } : {}),
      });
      return undefined;
    }
    const ref: GoType = { k: "named", pkgPath, name };
    if (!EXPORTED.test(name)) {
      const exported = name.charAt(0).toUpperCase() + name.slice(1);
      out.push({
        code: "DCM_UNSUPPORTED_TYPE",
        message: `unexported type \`${name}\` used in ${site.role === "variable" ? "a state variable" : "a signature"} (${where(site)})`,
        pos: at,
        suggestion: `export it: rename \`${name}\` to \`${exported}\``,
      });
      return undefined;
    }
    const key = `${pkgPath}.${name}`;
    if (this.named[key] || this.inProgress.has(key) || this.problemsOf.has(key)) {
      out.push(...(this.problemsOf.get(key) ?? []));
      return this.problemsOf.get(key)?.length ? undefined : ref;
    }
    const { decl, file, summary } = found;
    if (decl.typeParams || !decl.type) {
      out.push({
        code: "DCM_UNSUPPORTED_CONSTRUCT",
        message: `generic type \`${name}\` (${where(site)})`,
        pos: at,
        suggestion: "declare a non-generic named type and use it here",
      });
      return undefined;
    }
    if (decl.type.k === "interface") {
      // The fix is at the use (pick a concrete type), so report it there.
      out.push({
        code: "DCM_UNSUPPORTED_TYPE",
        message: `interface type \`${name}\` (${where(site)})`,
        pos: at,
        suggestion: "use a concrete type: a basic type, slice, map or struct",
      });
      return undefined;
    }
    const ctx = this.ctxFor(file, summary)!;
    const problems: Problem[] = [];
    this.inProgress.set(key, decl.type.k === "struct");
    let underlying: GoType | undefined;
    if (decl.type.k === "struct") underlying = this.mapStruct(decl.type.fields, name, ctx, problems);
    else {
      const rhs = this.map(decl.type, ctx, { role: "type", name }, problems);
      // A defined type takes its right side's underlying type (Go spec); an alias stays a reference.
      underlying = rhs && (decl.alias ? rhs : this.underlying(rhs));
    }
    this.inProgress.delete(key);
    this.problemsOf.set(key, problems);
    out.push(...problems);
    if (!underlying || problems.length) return undefined;
    this.named[key] = { pkgPath, pkgName: summary.pkgName, name, underlying, file, line: decl.line };
    return ref;
  }

  private mapStruct(fields: FieldExpr[], owner: string, ctx: FileCtx, out: Problem[]): GoType | undefined {
    const result: GoField[] = [];
    let ok = true;
    for (const f of fields) {
      if (f.names.length === 0) {
        const text = typeText(f.type);
        const bare = text.replace(/^\*/, "").replace(/^.*\./, "");
        out.push({
          code: "DCM_UNSUPPORTED_CONSTRUCT",
          message: `embedded field \`${text}\` in struct \`${owner}\``,
          pos: { file: ctx.file, line: f.pos.line, col: f.pos.col },
          suggestion: `give the field a name (\`${bare} ${text}\`) instead of embedding it`,
        });
        ok = false;
        continue;
      }
      for (const name of f.names) {
        if (!EXPORTED.test(name)) continue;
        const jsonName = jsonFieldName(f.json, name);
        if (jsonName === undefined) continue;
        const type = this.map(f.type, ctx, { role: "field", name, owner }, out);
        if (!type) ok = false;
        else result.push({ name, jsonName, type });
      }
    }
    return ok ? { k: "struct", fields: result } : undefined;
  }

  /** Integer value of an array length; undefined when not simply evaluable. */
  evalConst(e: ConstExpr, ctx: FileCtx, depth: number): number | undefined {
    if (depth > 16) return undefined;
    switch (e.k) {
      case "int":
        return e.value;
      case "ident":
      case "qual": {
        let dir = ctx.dir;
        if (e.k === "qual") {
          const path = importTable(ctx.summary, this.ws, ctx.mod).byName.get(e.pkg);
          const d = path === undefined ? undefined : dirOfImport(ctx.mod, path);
          if (d === undefined) return undefined;
          dir = d;
        }
        const found = this.ws.findTopLevel(dir, e.name);
        const value = found?.decl.kind === "const" ? found.decl.constValue : undefined;
        const c2 = found && value && this.ctxFor(found.file, found.summary);
        return c2 && value ? this.evalConst(value, c2, depth + 1) : undefined;
      }
      case "unary": {
        const x = this.evalConst(e.x, ctx, depth + 1);
        if (x === undefined) return undefined;
        return e.op === "-" ? -x : e.op === "+" ? x : undefined;
      }
      case "binary": {
        const l = this.evalConst(e.l, ctx, depth + 1);
        const r = this.evalConst(e.r, ctx, depth + 1);
        if (l === undefined || r === undefined) return undefined;
        const v = binary(e.op, l, r);
        return v !== undefined && Number.isSafeInteger(v) ? v : undefined;
      }
      default:
        return undefined;
    }
  }
}

function binary(op: string, l: number, r: number): number | undefined {
  switch (op) {
    case "+":
      return l + r;
    case "-":
      return l - r;
    case "*":
      return l * r;
    case "/":
      return r === 0 ? undefined : Math.trunc(l / r);
    case "%":
      return r === 0 ? undefined : l % r;
    case "<<":
      return r > 52 ? undefined : l * 2 ** r;
    case ">>":
      return Math.floor(l / 2 ** r);
    default:
      return undefined;
  }
}

/** `json:"name,omitempty"` -> name; `json:"-"` -> undefined (left out); no tag or empty name -> the Go name. */
export function jsonFieldName(tag: string | undefined, goName: string): string | undefined {
  if (tag === undefined) return goName;
  if (tag === "-") return undefined;
  const name = tag.split(",")[0] ?? "";
  return name === "" ? goName : name;
}

export function where(site: Site): string {
  const name = site.name ? ` \`${site.name}\`` : "";
  const owner = site.owner ? ` of \`${site.owner}\`` : "";
  return `${site.role}${name}${owner}`;
}

function subject(adjective: string, site: Site, text: string): string {
  const owner = site.owner ? ` of \`${site.owner}\`` : "";
  return `${adjective} ${site.role} \`${site.name ? `${site.name} ` : ""}${text}\`${owner}`;
}

export function typeText(t: TypeExpr): string {
  switch (t.k) {
    case "name":
      return t.name;
    case "qual":
      return `${t.pkg}.${t.name}`;
    case "pointer":
      return `*${typeText(t.elem)}`;
    case "slice":
      return `[]${typeText(t.elem)}`;
    case "array":
      return `[${constText(t.len)}]${typeText(t.elem)}`;
    case "map":
      return `map[${typeText(t.key)}]${typeText(t.value)}`;
    case "struct":
      return "struct{…}";
    default:
      return t.text;
  }
}

function constText(e: ConstExpr): string {
  switch (e.k) {
    case "int":
      return String(e.value);
    case "ident":
      return e.name;
    case "qual":
      return `${e.pkg}.${e.name}`;
    case "unary":
      return `${e.op}${constText(e.x)}`;
    case "binary":
      return `${constText(e.l)}${e.op}${constText(e.r)}`;
    default:
      return e.text;
  }
}
