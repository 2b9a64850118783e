/**
 * The tree-sitter-go parser and the queries of languages/go/queries (read
 * from disk, so that the language's knowledge stays data, helix-style).
 */
import Go from "tree-sitter-go";
import { firstSyntaxError as first, grammar, type Node } from "../../../src/languages/kit/tree-sitter-kit.js";
import type { Pos } from "./summary-types.js";

const go = grammar(Go, "go");
export const parseGo = go.parse;
export const goQuery = go.query;

/** The first ERROR or MISSING node in document order. */
export function firstSyntaxError(root: Node): (Pos & { text: string }) | undefined {
  return first(root);
}
