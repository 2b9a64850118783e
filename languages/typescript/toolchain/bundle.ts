/**
 * Bundles the generated entry module with esbuild's JS API into one ES
 * module that runs in browsers and in Node alike: format esm, platform
 * neutral, target es2022, minified, no Node built-ins. Nothing is written
 * by esbuild itself (write: false); the caller decides where the text goes.
 * The fragments' global `console` becomes the generated console capture's
 * `dcm_console` (define + inject), so what they print is captured per call
 * and never reaches the host's console (docs/abi.md, "Output").
 *
 * A fragment that imports a Node built-in (`node:fs`, `path`…) or a package
 * that cannot be resolved gets DCM_COMPILE_FAILED naming the fragment(s) that
 * reach the importing file, the import and its line. An import that
 * resolves outside the repository gets DCM_OUTSIDE_REPOSITORY, naming the file.
 */
import { readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import type { Message, Plugin } from "esbuild";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { EsbuildApi } from "./esbuild-toolchain.js";

/** Everything that shapes the output besides the inputs; part of the content key. */
export const BUNDLE_OPTIONS = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  minify: true,
  legalComments: "none",
  mainFields: ["module", "main"],
  conditions: ["import", "module", "default"],
  treeShaking: true,
  sourcemap: false,
  define: { console: "dcm_console" },
} as const;

export interface BundleOutcome {
  ok: boolean;
  /** The bundled module (ok only). */
  code?: string;
  /** Repo-relative (or absolute, outside the repository) paths of every file esbuild read, sorted. */
  inputs: string[];
  diagnostics: Diagnostic[];
}

const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

function isBuiltin(spec: string): boolean {
  if (spec.startsWith("node:")) return true;
  const top = spec.split("/")[0]!;
  return BUILTINS.has(spec) || BUILTINS.has(top);
}

/** Refuses Node built-ins: the module must run in browsers too. */
const noNodeBuiltins: Plugin = {
  name: "dcm-no-node-builtins",
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === "entry-point" || !isBuiltin(args.path)) return undefined;
      return {
        errors: [
          {
            text: `"${args.path}" is a Node.js built-in module; TypeScript fragments run in browsers too, so they cannot use it`,
          },
        ],
      };
    });
  },
};

const isInside = (p: string, dir: string) => {
  const rel = relative(dir, p);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

/**
 * Refuses every file outside the repository (and dcm's generated entry): an
 * `import data from "../outside/secret.json"` would put that file into the
 * module browsers download. esbuild reads files in-process, outside core's
 * sandbox, so this check is the TypeScript build's sandbox. Symlinks count
 * where they lead (esbuild resolves them).
 */
function insideOnly(roots: string[]): Plugin {
  return {
    name: "dcm-inside-repository",
    setup(build) {
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.kind === "entry-point" || args.pluginData?.dcmInner || isBuiltin(args.path)) return undefined;
        const r = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: { dcmInner: true },
        });
        if (r.errors.length || r.external || r.namespace !== "file" || !r.path) return undefined;
        if (roots.some((root) => isInside(r.path, root))) return undefined;
        return {
          errors: [
            {
              text: `${OUTSIDE_MARK}"${args.path}" resolves to ${r.path}, which is outside the repository; dcm builds only what the repository holds`,
            },
          ],
        };
      });
    },
  };
}

const OUTSIDE_MARK = "[outside the repository] ";

/**
 * Appends code to some of the repository's files as esbuild reads them (the
 * state accessors' closures, generate/state-accessors.ts), keyed by real
 * absolute path; the files on disk are left as they are.
 */
function appendTo(appends: Record<string, string>): Plugin {
  return {
    name: "dcm-state-accessors",
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: "file" }, async (args) => {
        const extra = appends[args.path];
        if (extra === undefined) return undefined;
        const text = await readFile(args.path, "utf8");
        const loader = /\.[cm]?tsx$/.test(args.path) ? "tsx" : /\.[cm]?ts$/.test(args.path) ? "ts" : "js";
        return { contents: `${text}\n${extra}`, loader };
      });
    },
  };
}

export async function bundle(
  esbuild: EsbuildApi,
  opts: { entry: string; repo: string; reach: Record<string, string[]>; inject?: string[]; appends?: Record<string, string> },
): Promise<BundleOutcome> {
  try {
    const res = await esbuild.build({
      ...BUNDLE_OPTIONS,
      mainFields: [...BUNDLE_OPTIONS.mainFields],
      conditions: [...BUNDLE_OPTIONS.conditions],
      define: { ...BUNDLE_OPTIONS.define },
      ...(opts.inject ? { inject: opts.inject } : {}),
      entryPoints: [opts.entry],
      absWorkingDir: opts.repo,
      write: false,
      metafile: true,
      logLevel: "silent",
      plugins: [
        noNodeBuiltins,
        insideOnly([resolve(opts.repo), dirname(resolve(opts.entry)), ...(opts.inject ?? []).map((i) => dirname(resolve(i)))]),
        ...(opts.appends && Object.keys(opts.appends).length ? [appendTo(opts.appends)] : []),
      ],
    });
    const code = res.outputFiles?.[0]?.text ?? "";
    const inputs = Object.keys(res.metafile?.inputs ?? {}).sort();
    return { ok: true, code, inputs, diagnostics: [] };
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors;
    if (!errors) throw e;
    return { ok: false, inputs: [], diagnostics: errors.map((m) => toDiagnostic(m, opts)) };
  }
}

function toDiagnostic(m: Message, opts: { repo: string; reach: Record<string, string[]> }): Diagnostic {
  const loc = m.location;
  const file = loc ? (isAbsolute(loc.file) ? relative(opts.repo, loc.file) : loc.file) : undefined;
  const ids = file ? Object.keys(opts.reach).filter((id) => opts.reach[id]!.includes(file)).sort() : [];
  const who =
    ids.length > 0
      ? `fragment${ids.length > 1 ? "s" : ""} ${ids.map((id) => `\`${id}\``).join(", ")}`
      : "the TypeScript fragments";
  const where = loc ? ` (${file}:${loc.line}: \`${loc.lineText.trim()}\`)` : "";
  if (m.text.startsWith(OUTSIDE_MARK)) {
    return diag("DCM_OUTSIDE_REPOSITORY", `${who}: ${m.text.slice(OUTSIDE_MARK.length)}${where}`, {
      ...(loc && file ? { pos: { file, line: loc.line, col: loc.column + 1 } } : {}),
      suggestion: "copy the file into the repository and import it from there",
      ...(ids[0] ? { fragment: ids[0] } : {}),
    });
  }
  const unresolved = /Could not resolve "([^"]+)"/.exec(m.text);
  const builtin = m.text.includes("Node.js built-in");
  const suggestion = builtin
    ? "remove the import, or move the code that needs it out of the fragments (run it in your server code)"
    : unresolved
      ? `install the package in the repository (\`npm install ${unresolved[1]}\`) or remove the import`
      : "fix the error at the reported line";
  return diag("DCM_COMPILE_FAILED", `${who}: esbuild cannot bundle${where}: ${m.text}`, {
    ...(loc && file ? { pos: { file, line: loc.line, col: loc.column + 1 } } : {}),
    suggestion,
    ...(ids[0] ? { fragment: ids[0] } : {}),
  });
}
