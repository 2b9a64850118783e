// Bundles the CLI (src/cli/main.ts) into build/cli/ with esbuild, after `tsc` has
// compiled everything into build/ (`npm run build` runs both). bin/dcm.js runs
// build/cli/dcm.js. Why: Node resolves and reads every ES module of the CLI
// one by one at start-up; one file per command (code splitting: each command's
// and each language's code is a chunk loaded on first use) starts much faster.
//
// What stays outside the bundle, loaded from build/ as tsc wrote it:
//  - npm packages (native addons: tree-sitter and its grammars, koffi; the
//    compilers: typescript, assemblyscript, esbuild; the server: fastify, ws),
//    resolved from node_modules as before;
//  - runtime/ and languages/*/runtime/ (the bottom floor): the language glue
//    and worker entry files are loaded by path at run time and import runtime/
//    themselves, so the CLI must share those very module instances (one
//    FragmentCallError class, not two that `instanceof` tells apart).
// Every bundled file's `import.meta.url` is rewritten to the URL of its own
// tsc output in build/, so paths resolved from it at run time (templates,
// queries, glue, worker entries, createRequire) are the same as unbundled.
// `__DCM_CODE_ID__` is a hash of everything the bundle was made from (its
// sources, the queries and templates read at run time, the lock file): the
// persisted parse cache is kept per code id (src/build/parse-cache-store.ts).
import { createHash } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const pkg = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8"));
const BUNDLED_PACKAGES = ["yaml"];
const OUT = join(ROOT, "build", "cli");

const posix = (p) => p.split(sep).join("/");
/** `build/<file>.js` of a source file, relative to the bundle's folder. */
const compiledFromOut = (file) => {
  const rel = relative(ROOT, file).replace(/\.ts$/, ".js");
  return posix(relative(OUT, join(ROOT, "build", rel)));
};
const isRuntime = (file) => {
  const rel = posix(relative(ROOT, file));
  return rel.startsWith("runtime/") || /^languages\/[^/]+\/runtime\//.test(rel);
};

/** Imports of runtime/ stay imports of build/runtime/…js; each bundled file keeps its own import.meta.url. */
const layout = {
  name: "dcm-layout",
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, async (args) => {
      if (args.kind === "entry-point") return undefined;
      const file = join(args.resolveDir, args.path).replace(/\.js$/, ".ts");
      if (!isRuntime(file)) return undefined;
      return { path: compiledFromOut(file), external: true };
    });
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return { contents: text, loader: "ts" };
      const self = `new URL(${JSON.stringify(compiledFromOut(args.path))}, import.meta.url).href`;
      return { contents: text.replaceAll("import.meta.url", self), loader: "ts" };
    });
  },
};

/** languages/<id>/adapter.ts of every language folder, as `<id>-adapter` entries. */
async function adapterEntries() {
  const entries = {};
  for (const d of await readdir(join(ROOT, "languages"), { withFileTypes: true })) {
    const file = join("languages", d.name, "adapter.ts");
    if (d.isDirectory() && (await readFile(join(ROOT, file)).catch(() => null))) entries[`${d.name}-adapter`] = file;
  }
  return entries;
}

const options = {
  absWorkingDir: ROOT,
  // Each language's adapter is its own named entry (`<id>-adapter.js`), imported by its descriptor on first use.
  entryPoints: { dcm: "src/cli/main.ts", ...(await adapterEntries()) },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // npm packages stay in node_modules, except the pure-JS ones every analysis loads (yaml: ~70 CommonJS files).
  external: Object.keys(pkg.dependencies).filter((name) => !BUNDLED_PACKAGES.includes(name)),
  plugins: [layout],
  // Bundled CommonJS (yaml) calls require() for Node's built-ins.
  banner: { js: 'import { createRequire as __dcmCreateRequire } from "node:module"; const require = __dcmCreateRequire(import.meta.url);' },
  // One folder for every output file: the paths rewritten above are relative to it.
  chunkNames: "[name]-[hash]",
  sourcemap: "linked",
  legalComments: "none",
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning",
  metafile: true,
};

/** Sha256 over the bundle's inputs, the data files read at run time and the lock file. */
async function codeId() {
  const probe = await build({ ...options, write: false, sourcemap: false, define: { __DCM_CODE_ID__: '"probe"' } });
  const files = Object.keys(probe.metafile.inputs).map((f) => join(ROOT, f));
  for (const lang of await readdir(join(ROOT, "languages"), { withFileTypes: true })) {
    if (!lang.isDirectory()) continue;
    for (const sub of ["queries", "templates"]) {
      const dir = join(ROOT, "languages", lang.name, sub);
      for (const f of await readdir(dir).catch(() => [])) files.push(join(dir, f));
    }
  }
  files.push(join(ROOT, "package-lock.json"));
  const h = createHash("sha256");
  for (const f of files.sort()) {
    h.update(posix(relative(ROOT, f)) + "\0");
    h.update(await readFile(f).catch(() => Buffer.alloc(0)));
  }
  return h.digest("hex").slice(0, 16);
}

const id = await codeId();
// Chunk names carry content hashes: start empty so that no stale chunk stays behind.
await rm(OUT, { recursive: true, force: true });
const result = await build({ ...options, define: { __DCM_CODE_ID__: JSON.stringify(id) } });
const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"));
console.log(`bundled the CLI into ${posix(relative(ROOT, OUT))}/ (${outputs.length} files, code id ${id})`);
