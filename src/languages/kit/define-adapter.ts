/**
 * The part of an adapter every language writes alike: the descriptor's
 * fields spread into the adapter (without `load`), and generate/compile
 * refused for a target the descriptor does not list, before the language's
 * code sees it (which can then type its target as the ones it builds).
 */
import type { ModuleTarget } from "../../../runtime/abi/manifest-types.js";
import type {
  CompileResult,
  GeneratedProject,
  GenerateRequest,
  LanguageAdapter,
  LanguageDescriptor,
  LanguageInfo,
} from "../adapter-types.js";

/** What a language adds to its descriptor; `T` is the targets it builds. */
export type AdapterParts<T extends ModuleTarget> = Omit<
  LanguageAdapter,
  keyof LanguageInfo | "generate" | "compile"
> & {
  generate(req: GenerateRequest, target: T): Promise<GeneratedProject>;
  compile(project: GeneratedProject, target: T, outFile: string): Promise<CompileResult>;
};

export function defineAdapter<T extends ModuleTarget>(
  descriptor: LanguageDescriptor,
  parts: AdapterParts<T>,
): LanguageAdapter {
  const { load: _load, ...info } = descriptor;
  const builds = [...new Set([...info.targets.client, ...info.targets.server])];
  const target = (t: ModuleTarget): T => {
    if (!builds.includes(t)) {
      throw new Error(`${info.displayName} builds no \`${t}\` modules (its targets: ${builds.join(", ")}).`);
    }
    return t as T;
  };
  return {
    ...info,
    ...parts,
    generate: async (req, t) => parts.generate(req, target(t)),
    compile: async (project, t, outFile) => parts.compile(project, target(t), outFile),
  };
}
