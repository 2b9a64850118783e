/**
 * The parser for AssemblyScript: tree-sitter-typescript's `typescript`
 * grammar (AssemblyScript is TypeScript syntax), with the queries of
 * languages/assemblyscript/queries.
 */
import { createRequire } from "node:module";
import { grammar } from "../../../src/languages/kit/tree-sitter-kit.js";

export { firstSyntaxError, type SyntaxProblem as SyntaxErr } from "../../../src/languages/kit/tree-sitter-kit.js";

// The grammar (a native addon) loads on the first parse, not with the adapter.
const as = grammar(() => (createRequire(import.meta.url)("tree-sitter-typescript") as { typescript: unknown }).typescript, "assemblyscript");
export const parseAs = as.parse;
export const asQuery = as.query;
