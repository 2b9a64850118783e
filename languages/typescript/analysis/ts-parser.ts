/** The tree-sitter-typescript parser (the `typescript` grammar, not `tsx`) and the queries of languages/typescript/queries. */
import { createRequire } from "node:module";
import { grammar } from "../../../src/languages/kit/tree-sitter-kit.js";

export { firstSyntaxError, lineOf, type SyntaxProblem } from "../../../src/languages/kit/tree-sitter-kit.js";

// The grammar (a native addon) loads on the first parse, not with the adapter.
const ts = grammar(() => (createRequire(import.meta.url)("tree-sitter-typescript") as { typescript: unknown }).typescript, "typescript");
export const parseTs = ts.parse;
export const tsQuery = ts.query;
