/**
 * The parser for AssemblyScript: tree-sitter-typescript's `typescript`
 * grammar (AssemblyScript is TypeScript syntax), with the queries of
 * languages/assemblyscript/queries.
 */
import TypeScript from "tree-sitter-typescript";
import { grammar } from "../../../src/languages/kit/tree-sitter-kit.js";

export { firstSyntaxError, type SyntaxProblem as SyntaxErr } from "../../../src/languages/kit/tree-sitter-kit.js";

const as = grammar((TypeScript as unknown as { typescript: unknown }).typescript, "assemblyscript");
export const parseAs = as.parse;
export const asQuery = as.query;
