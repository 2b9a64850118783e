/**
 * The tree-sitter-go parser and the queries of languages/go/queries (read
 * from disk, so that the language's knowledge stays data, helix-style).
 */
import { createRequire } from "node:module";
import { firstSyntaxError as first, grammar, type Node } from "../../../src/languages/kit/tree-sitter-kit.js";
import type { Pos } from "./summary-types.js";

// The grammar (a native addon) loads on the first parse: an analysis whose files are all in the
// persisted parse cache loads no tree-sitter at all.
const go = grammar(() => createRequire(import.meta.url)("tree-sitter-go"), "go");
export const parseGo = go.parse;
export const goQuery = go.query;

/** The first ERROR or MISSING node in document order. */
export function firstSyntaxError(root: Node): (Pos & { text: string }) | undefined {
  return first(root);
}
