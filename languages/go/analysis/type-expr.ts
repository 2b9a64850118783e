/**
 * tree-sitter-go nodes -> TypeExpr / ConstExpr. Types are converted by hand
 * rather than by query: their shape is recursive and a query would only
 * flatten it again.
 */
import type Parser from "tree-sitter";
import type { ConstExpr, FieldExpr, ParamExpr, Pos, TypeExpr } from "./summary-types.js";

type Node = Parser.SyntaxNode;

export function posOf(node: Node): Pos {
  return { line: node.startPosition.row + 1, col: node.startPosition.column + 1 };
}

export function typeExpr(node: Node): TypeExpr {
  const pos = posOf(node);
  const field = (name: string): TypeExpr => {
    const child = node.childForFieldName(name);
    return child ? typeExpr(child) : { k: "other", text: node.text, pos };
  };
  switch (node.type) {
    case "type_identifier":
      return { k: "name", name: node.text, pos };
    case "qualified_type":
      return {
        k: "qual",
        pkg: node.childForFieldName("package")?.text ?? "",
        name: node.childForFieldName("name")?.text ?? "",
        pos,
      };
    case "pointer_type": {
      // pointer_type has no field name for its element.
      const elem = node.namedChildren[0];
      return { k: "pointer", elem: elem ? typeExpr(elem) : { k: "other", text: node.text, pos }, pos };
    }
    case "slice_type":
      return { k: "slice", elem: field("element"), pos };
    case "array_type": {
      const len = node.childForFieldName("length");
      return { k: "array", len: len ? constExpr(len) : { k: "other", text: "" }, elem: field("element"), pos };
    }
    case "map_type":
      return { k: "map", key: field("key"), value: field("value"), pos };
    case "struct_type":
      return { k: "struct", fields: structFields(node), pos };
    case "parenthesized_type": {
      const inner = node.namedChildren[0];
      return inner ? typeExpr(inner) : { k: "other", text: node.text, pos };
    }
    case "generic_type":
      return { k: "generic", text: node.text, pos };
    case "channel_type":
      return { k: "chan", text: node.text, pos };
    case "function_type":
      return { k: "func", text: node.text, pos };
    case "interface_type":
      return { k: "interface", text: node.text, pos };
    default:
      return { k: "other", text: node.text, pos };
  }
}

function structFields(node: Node): FieldExpr[] {
  const list = node.namedChildren.find((c) => c.type === "field_declaration_list");
  if (!list) return [];
  const out: FieldExpr[] = [];
  for (const decl of list.namedChildren) {
    if (decl.type !== "field_declaration") continue;
    const typeNode = decl.childForFieldName("type");
    if (!typeNode) continue;
    const names = decl
      .childrenForFieldName("name")
      .filter((n) => n.type === "field_identifier")
      .map((n) => n.text);
    const tag = decl.childForFieldName("tag");
    const json = tag ? jsonTag(stringLiteral(tag)) : undefined;
    // An embedded `*T` loses its star in the `type` field; keep it visible for messages.
    const embeddedPointer = names.length === 0 && decl.children.some((c) => c.type === "*");
    const type = typeExpr(typeNode);
    const f: FieldExpr = {
      names,
      type: embeddedPointer ? { k: "pointer", elem: type, pos: posOf(decl) } : type,
      pos: posOf(decl),
    };
    if (json !== undefined) f.json = json;
    out.push(f);
  }
  return out;
}

/** The value of a Go string literal (raw or interpreted; escapes beyond JSON's are rare in tags). */
export function stringLiteral(node: Node): string {
  const text = node.text;
  if (text.startsWith("`")) return text.slice(1, -1);
  try {
    return JSON.parse(text) as string;
  } catch {
    return text.slice(1, -1);
  }
}

/** The `json:"..."` value of a struct tag (reflect.StructTag.Get semantics, simplified). */
export function jsonTag(tag: string): string | undefined {
  const m = /(?:^|\s)json:"((?:[^"\\]|\\.)*)"/.exec(tag);
  return m ? m[1] : undefined;
}

export function constExpr(node: Node): ConstExpr {
  switch (node.type) {
    case "int_literal": {
      const value = parseGoInt(node.text);
      return value === undefined ? { k: "other", text: node.text } : { k: "int", value };
    }
    case "identifier":
      return { k: "ident", name: node.text };
    case "selector_expression": {
      const operand = node.childForFieldName("operand");
      const fieldNode = node.childForFieldName("field");
      if (operand?.type === "identifier" && fieldNode) return { k: "qual", pkg: operand.text, name: fieldNode.text };
      return { k: "other", text: node.text };
    }
    case "parenthesized_expression": {
      const inner = node.namedChildren[0];
      return inner ? constExpr(inner) : { k: "other", text: node.text };
    }
    case "unary_expression": {
      const op = node.childForFieldName("operator")?.text ?? "";
      const x = node.childForFieldName("operand");
      return x ? { k: "unary", op, x: constExpr(x) } : { k: "other", text: node.text };
    }
    case "binary_expression": {
      const l = node.childForFieldName("left");
      const r = node.childForFieldName("right");
      const op = node.childForFieldName("operator")?.text ?? "";
      return l && r ? { k: "binary", op, l: constExpr(l), r: constExpr(r) } : { k: "other", text: node.text };
    }
    default:
      return { k: "other", text: node.text };
  }
}

export function parseGoInt(text: string): number | undefined {
  const t = text.replace(/_/g, "").toLowerCase();
  let v: number;
  if (/^0x[0-9a-f]+$/.test(t)) v = Number.parseInt(t.slice(2), 16);
  else if (/^0b[01]+$/.test(t)) v = Number.parseInt(t.slice(2), 2);
  else if (/^0o?[0-7]+$/.test(t)) v = Number.parseInt(t.replace(/^0o?/, ""), 8);
  else if (/^[0-9]+$/.test(t)) v = Number.parseInt(t, 10);
  else return undefined;
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Parameters of a parameter_list (or a single result type), one entry per name. */
export function paramList(node: Node | null): ParamExpr[] {
  if (!node) return [];
  if (node.type !== "parameter_list") return [{ type: typeExpr(node), variadic: false, pos: posOf(node) }];
  const out: ParamExpr[] = [];
  for (const decl of node.namedChildren) {
    if (decl.type !== "parameter_declaration" && decl.type !== "variadic_parameter_declaration") continue;
    const typeNode = decl.childForFieldName("type");
    if (!typeNode) continue;
    const type = typeExpr(typeNode);
    const variadic = decl.type === "variadic_parameter_declaration";
    const names = decl.childrenForFieldName("name").filter((n) => n.type === "identifier");
    if (names.length === 0) out.push({ type, variadic, pos: posOf(decl) });
    for (const n of names) out.push({ name: n.text, type, variadic, pos: posOf(n) });
  }
  return out;
}

const BASIC_FUNCS = new Set([
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

/** The type of a var initializer, when it is written in it: literals, `T{…}`, `&T{…}`, `make(T, …)`, `new(T)`, conversions to basic types. */
export function initializerType(e: Node): TypeExpr | undefined {
  const pos = posOf(e);
  switch (e.type) {
    case "int_literal":
      return { k: "name", name: "int", pos };
    case "float_literal":
      return { k: "name", name: "float64", pos };
    case "rune_literal":
      return { k: "name", name: "rune", pos };
    case "interpreted_string_literal":
    case "raw_string_literal":
      return { k: "name", name: "string", pos };
    case "true":
    case "false":
      return { k: "name", name: "bool", pos };
    case "parenthesized_expression":
      return e.namedChildren[0] ? initializerType(e.namedChildren[0]) : undefined;
    case "composite_literal": {
      const t = e.childForFieldName("type");
      return t ? typeExpr(t) : undefined;
    }
    case "unary_expression": {
      const operand = e.childForFieldName("operand");
      if (e.childForFieldName("operator")?.text !== "&" || operand?.type !== "composite_literal") return undefined;
      const elem = initializerType(operand);
      return elem && { k: "pointer", elem, pos };
    }
    case "type_conversion_expression": {
      const t = e.childForFieldName("type");
      return t ? typeExpr(t) : undefined;
    }
    case "call_expression": {
      const fn = e.childForFieldName("function");
      const args = e.childForFieldName("arguments")?.namedChildren ?? [];
      if (fn?.type === "identifier" && (fn.text === "make" || fn.text === "new") && args[0]) {
        const t = typeExpr(args[0]);
        return fn.text === "new" ? { k: "pointer", elem: t, pos } : t;
      }
      if (fn?.type === "identifier" && BASIC_FUNCS.has(fn.text)) return { k: "name", name: fn.text, pos };
      if (fn?.type === "parenthesized_expression" || fn?.type === "slice_type" || fn?.type === "map_type") {
        return typeExpr(fn.type === "parenthesized_expression" ? fn.namedChildren[0]! : fn);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}
