/** The tree-sitter-typescript parser (the `typescript` grammar, not `tsx`) and the queries of languages/typescript/queries. */
import TypeScript from "tree-sitter-typescript";
import { grammar } from "../../../src/languages/kit/tree-sitter-kit.js";

export { firstSyntaxError, lineOf, type SyntaxProblem } from "../../../src/languages/kit/tree-sitter-kit.js";

const ts = grammar((TypeScript as unknown as { typescript: unknown }).typescript, "typescript");
export const parseTs = ts.parse;
export const tsQuery = ts.query;
