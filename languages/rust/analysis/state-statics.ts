/**
 * The module-level variables of one Rust file that can hold state: `static`
 * items and the statics of top-level `thread_local!` blocks, with how their
 * value is reached (RustStateDetail.access) and the syntax of the value's
 * type (the `T` of `Mutex<T>`).
 *
 * Interior mutability recognised: `static mut`, std::sync `Mutex` / `RwLock`,
 * the fixed-width atomics, `Cell` / `RefCell` inside `thread_local!`, each
 * optionally behind `LazyLock` or `once_cell::sync::Lazy` (reached through
 * Deref exactly like the inner value). A plain `static` of anything else is
 * immutable: never state.
 *
 * Known limitations: `lazy_static!` blocks, `OnceLock` / `OnceCell`,
 * parking_lot locks, `UnsafeCell` wrappers of the user's own and statics in
 * inline `mod { }` blocks are not recognised (their changes are not carried
 * on a move: languages/rust/README.md, "State").
 */
import type { SourcePos } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { RustStateDetail } from "../rust-types.js";
import { colOf, lineOf, type Node, parseRust } from "./rust-parser.js";
import { pathSegments } from "./workspace.js";
import type { FileCtx } from "./map-types.js";

export interface StaticInfo {
  name: string;
  /** Position of the name (the variable's file:line:col). */
  pos: SourcePos;
  ctx: FileCtx;
  threadLocal: boolean;
  /** The declared type (for thread_local!, parsed from the macro's text). */
  typeNode: Node;
  /** How the value is reached; undefined: immutable, never state. */
  access?: RustStateDetail["access"];
  lazy: boolean;
  /** The snapshotted value's type syntax (undefined for atomics: `atomicPrim`). */
  valueNode?: Node;
  /** `AtomicI64` → `i64`. */
  atomicPrim?: string;
  /** Set when the wrapper itself cannot be snapshotted (`AtomicUsize`, `AtomicPtr`). */
  refuse?: { what: string; suggestion: string };
}

const ATOMICS: Record<string, string> = {
  AtomicBool: "bool",
  AtomicI8: "i8",
  AtomicI16: "i16",
  AtomicI32: "i32",
  AtomicI64: "i64",
  AtomicU8: "u8",
  AtomicU16: "u16",
  AtomicU32: "u32",
  AtomicU64: "u64",
};
const LAZY = new Set(["LazyLock", "Lazy"]);

const cache = new WeakMap<object, StaticInfo[]>();

/** Every static of the file (computed once per file summary). */
export function staticsOf(ctx: FileCtx): StaticInfo[] {
  const have = cache.get(ctx.summary);
  if (have) return have;
  const out: StaticInfo[] = [];
  for (const d of ctx.summary.decls) {
    if (d.item !== "static") continue;
    const nameNode = d.node.childForFieldName("name");
    const typeNode = d.node.childForFieldName("type");
    if (!nameNode || !typeNode) continue;
    const mutable = d.node.namedChildren.some((c) => c.type === "mutable_specifier");
    out.push(classify({ name: d.name, pos: posOf(ctx, nameNode), ctx, threadLocal: false, typeNode, lazy: false }, mutable));
  }
  for (const m of ctx.summary.tree.rootNode.namedChildren) {
    if (m.type !== "macro_invocation" || m.childForFieldName("macro")?.text.replace(/^(::)?std::/, "") !== "thread_local") continue;
    const body = m.namedChildren.find((c) => c.type === "token_tree");
    if (body) out.push(...threadLocals(ctx, body));
  }
  cache.set(ctx.summary, out);
  return out;
}

const locals = new WeakMap<object, Map<number, StaticInfo | null>>();

/**
 * A `static` declared inside a function body (`fn f() { static mut N: u32 = 0; … }`):
 * state the accessors cannot name from outside the function. When it can change
 * it is refused (named `f::N`), so that it is moved to module level or marked
 * `stateful: false` rather than silently left behind on a move.
 */
export function localStatic(ctx: FileCtx, node: Node, fnName: string): StaticInfo | undefined {
  let byNode = locals.get(ctx.summary);
  if (!byNode) {
    byNode = new Map();
    locals.set(ctx.summary, byNode);
  }
  const have = byNode.get(node.startIndex);
  if (have !== undefined) return have ?? undefined;
  const nameNode = node.childForFieldName("name");
  const typeNode = node.childForFieldName("type");
  let out: StaticInfo | undefined;
  if (nameNode && typeNode) {
    const mutable = node.namedChildren.some((c) => c.type === "mutable_specifier");
    const base = { name: `${fnName}::${nameNode.text}`, pos: posOf(ctx, nameNode), ctx, threadLocal: false, typeNode, lazy: false };
    const info = classify(base, mutable);
    if (info.access)
      out = {
        ...info,
        refuse: {
          what: `a static inside function \`${fnName}\`, which the state accessors cannot reach`,
          suggestion: `declare \`${nameNode.text}\` at module level (outside \`${fnName}\`, private is fine) so that dcm can move it`,
        },
      };
  }
  byNode.set(node.startIndex, out ?? null);
  return out;
}

function posOf(ctx: FileCtx, n: Node): SourcePos {
  return { file: ctx.file, line: lineOf(n), col: colOf(n) };
}

/** `static NAME: TYPE = …;` entries of a thread_local! body (attributes and visibility allowed). */
function threadLocals(ctx: FileCtx, body: Node): StaticInfo[] {
  const out: StaticInfo[] = [];
  const text = body.text;
  const re = /\bstatic\s+([A-Za-z_][A-Za-z0-9_]*)\s*:/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const typeStart = m.index + m[0].length;
    const typeText = typeUntilEquals(text, typeStart);
    if (!typeText) continue;
    const parsed = parseRust(`type DcmT = ${typeText};`).rootNode.namedChildren[0]?.childForFieldName("type");
    if (!parsed) continue;
    const nameAt = body.startIndex + m.index + m[0].indexOf(m[1]!);
    const before = ctx.summary.text.slice(0, nameAt);
    const line = before.split("\n").length;
    const col = nameAt - before.lastIndexOf("\n");
    const base = { name: m[1]!, pos: { file: ctx.file, line, col }, ctx, threadLocal: true, typeNode: parsed, lazy: false };
    out.push(classify(base, false));
  }
  return out;
}

/** The type text from `start` up to the `=` at bracket depth 0. */
function typeUntilEquals(text: string, start: number): string | undefined {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i]!;
    if (c === "<" || c === "(" || c === "[") depth++;
    else if ((c === ">" && text[i - 1] !== "-") || c === ")" || c === "]") depth--;
    else if (c === "=" && depth === 0) return text.slice(start, i).trim();
  }
  return undefined;
}

const KNOWN_CRATES = new Set(["std", "core", "alloc", "once_cell"]);

/** The wrapper's name and type arguments, when it is std's (or once_cell's): a parking_lot `Mutex` is not std's. */
function head(n: Node, ctx: FileCtx): { name: string; args: Node[] } | undefined {
  let segs: string[];
  let args: Node[] = [];
  if (n.type === "type_identifier" || n.type === "scoped_type_identifier") segs = pathSegments(n);
  else if (n.type === "generic_type") {
    segs = pathSegments(n.childForFieldName("type")!);
    args = (n.childForFieldName("type_arguments")?.namedChildren ?? []).filter((a) => a.type !== "lifetime");
  } else return undefined;
  // `use std::sync::Mutex as Lock;` → `Lock<T>` is a Mutex.
  const use = segs.length === 1 ? ctx.summary.uses.find((u) => u.alias === segs[0]) : undefined;
  const name = use ? use.path[use.path.length - 1]! : segs[segs.length - 1]!;
  const root = segs.length > 1 ? segs[0]! : use?.path[0];
  if (root !== undefined && !KNOWN_CRATES.has(root)) return undefined;
  return { name, args };
}

function classify(s: StaticInfo, mutable: boolean): StaticInfo {
  if (mutable) return { ...s, access: "static-mut", valueNode: s.typeNode };
  let t = s.typeNode;
  let h = head(t, s.ctx);
  let lazy = false;
  if (!s.threadLocal && h && LAZY.has(h.name) && h.args[0]) {
    lazy = true;
    t = h.args[0];
    h = head(t, s.ctx);
  }
  if (!h) return s;
  const out = { ...s, lazy };
  if (s.threadLocal) {
    if (h.name === "Cell" && h.args[0]) return { ...out, access: "cell", valueNode: h.args[0] };
    if (h.name === "RefCell" && h.args[0]) return { ...out, access: "refcell", valueNode: h.args[0] };
    return s;
  }
  if (h.name === "Mutex" && h.args[0]) return { ...out, access: "mutex", valueNode: h.args[0] };
  if (h.name === "RwLock" && h.args[0]) return { ...out, access: "rwlock", valueNode: h.args[0] };
  const prim = ATOMICS[h.name];
  if (prim) return { ...out, access: "atomic", atomicPrim: prim };
  if (h.name === "AtomicUsize" || h.name === "AtomicIsize") {
    const fixed = h.name === "AtomicUsize" ? "AtomicU64 (or AtomicU32)" : "AtomicI64 (or AtomicI32)";
    return {
      ...out,
      access: "atomic",
      refuse: {
        what: `\`${h.name}\` (32 bits on wasm32, 64 bits on x86_64: the value may not fit on the other side)`,
        suggestion: `use ${fixed} for state that moves between client and server`,
      },
    };
  }
  if (h.name === "AtomicPtr")
    return { ...out, access: "atomic", refuse: { what: "`AtomicPtr` (a pointer into one side's memory)", suggestion: "keep the value itself in a Mutex" } };
  return s;
}
