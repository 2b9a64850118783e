/** The tree-sitter-rust parser and the queries of languages/rust/queries. */
import { createRequire } from "node:module";
import { grammar } from "../../../src/languages/kit/tree-sitter-kit.js";

export {
  colOf,
  firstSyntaxError,
  lineOf,
  type Node,
  type SyntaxProblem,
} from "../../../src/languages/kit/tree-sitter-kit.js";

// The grammar (a native addon) loads on the first parse, not with the adapter.
const rust = grammar(() => createRequire(import.meta.url)("tree-sitter-rust"), "rust");
export const parseRust = rust.parse;
export const rustQuery = rust.query;
