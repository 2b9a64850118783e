/** The tree-sitter-rust parser and the queries of languages/rust/queries. */
import Rust from "tree-sitter-rust";
import { grammar } from "../../../src/languages/kit/tree-sitter-kit.js";

export {
  colOf,
  firstSyntaxError,
  lineOf,
  type Node,
  type SyntaxProblem,
} from "../../../src/languages/kit/tree-sitter-kit.js";

const rust = grammar(Rust, "rust");
export const parseRust = rust.parse;
export const rustQuery = rust.query;
