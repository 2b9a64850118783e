/**
 * The `dcm` command line. The only place that turns diagnostics into exit
 * codes; everything it calls is library code that throws DcmError.
 */
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { displayPath, displayPathsIn } from "../core/paths.js";
import {
  CATALOG,
  type CatalogEntry,
  DcmError,
  diag,
  type ErrorCode,
  formatDiagnostic,
} from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import { hasErrors } from "../../runtime/diagnostics/has-errors.js";
import type { Signature } from "../../runtime/abi/value-types.js";
import type { ModuleTarget } from "../../runtime/abi/manifest-types.js";
import { noteStuckThreads } from "./hard-exit.js";
import { cleanupOnSignal } from "./interrupt.js";
import { Progress } from "./progress.js";

// Each command imports what it needs when it runs (the dispatch in main() calls `load`), so that
// `dcm --help` loads no analysis, `dcm analyze` no runtime, and no command a language it does not
// use. The bindings below are assigned before the command's body runs and read like static imports.
let FragmentCallError: typeof import("../../runtime/abi/call-error.js").FragmentCallError;
let errorJson: typeof import("../../runtime/abi/json-values.js").errorJson;
let parseJsonArgs: typeof import("../../runtime/abi/json-values.js").parseJsonArgs;
let toCanonicalJson: typeof import("../../runtime/abi/json-values.js").toCanonicalJson;
let typeName: typeof import("../../runtime/abi/value-errors.js").typeName;
let analyzeProject: typeof import("../build/analyze-project.js").analyzeProject;
let detectedDeps: typeof import("../build/analyze-project.js").detectedDeps;
let buildDist: typeof import("../build/build-dist.js").buildDist;
let removeTempsSync: typeof import("../build/out-dir.js").removeTempsSync;
let fixCfdText: typeof import("../cfd/fix-cfd.js").fixCfdText;
let openDist: typeof import("../index.js").openDist;
let invokeBatch: typeof import("./invoke-batch.js").invokeBatch;
let outputPrinter: typeof import("../../runtime/abi/call-output.js").outputPrinter;
let cmdRun: typeof import("./run-command.js").cmdRun;
let cmdServe: typeof import("./serve-command.js").cmdServe;
let cmdWorker: typeof import("./worker-command.js").cmdWorker;

const load = {
  async analysis() {
    ({ analyzeProject, detectedDeps } = await import("../build/analyze-project.js"));
    ({ typeName } = await import("../../runtime/abi/value-errors.js"));
  },
  async fix() {
    ({ fixCfdText } = await import("../cfd/fix-cfd.js"));
  },
  async build() {
    ({ buildDist } = await import("../build/build-dist.js"));
    ({ removeTempsSync } = await import("../build/out-dir.js"));
  },
  async invoke() {
    ({ FragmentCallError } = await import("../../runtime/abi/call-error.js"));
    ({ errorJson, parseJsonArgs, toCanonicalJson } = await import("../../runtime/abi/json-values.js"));
    ({ openDist } = await import("../index.js"));
    ({ invokeBatch } = await import("./invoke-batch.js"));
    ({ outputPrinter } = await import("../../runtime/abi/call-output.js"));
  },
  async run() {
    ({ cmdRun } = await import("./run-command.js"));
  },
  async worker() {
    ({ cmdWorker } = await import("./worker-command.js"));
  },
  async serve() {
    ({ cmdServe } = await import("./serve-command.js"));
  },
};

// The CLI entry (bin/dcm.js) ends a process whose thread is stuck in native code; the bundle has its own copy of this module.
export { hardExit, hasStuckThreads } from "./hard-exit.js";

const USAGE = `dcm — dynamic client/server code migration

Usage:
  dcm validate <cfd> [--repo <dir>] [--fix] [--strict] [--verbose] [--json]
  dcm analyze <repo> --cfd <file> [--verbose] [--json]
  dcm build <repo> --cfd <file> --out <dir> [--driver sandbox|container|local] [--strict] [--verbose] [--json] [--events ndjson]
  dcm invoke <dist> <fragment> --args '<json array>' --on client|server [--target wasm|native|js] [--timeout <s>] [--isolation process|thread] [--memory-limit <MiB>]
  dcm invoke <dist> --batch <cases.json> --on client|server [--target ...] [--timeout <s>]   (one output line per case)
      <fragment>: an id, or a name (\`Func\`, \`Type.Method\`) where it is unique; --timeout: seconds per call
      (default 30). Results go to stdout; what fragments print goes to stderr as \`[fragment <id>] …\`.
      --on server runs the fragment in a supervised process (memory bounded to --memory-limit MiB, default 1024);
      --isolation thread runs it in this one (trusted code only: a fragment that exits ends dcm).
  dcm run <dist> [--port <p>] [--host 127.0.0.1]   serve the dist: runtime, REST API, example page
  dcm serve [--port 8090] [--host 127.0.0.1] [--store <dir>] [--concurrency <n>] [--driver ...]   the build service (docs/build-service.md)
  dcm serve --redis redis://host:port [--workers <n>] ...   the service on Redis + BullMQ, with
  dcm worker --redis redis://host:port --store <dir> [--concurrency <n>]   build workers for it
  dcm key                                     print a new API key: export DCM_API_KEYS=$(dcm key)
  dcm submit <repo> --cfd <file> --server <url> [--out <dir>] [--json]
      build in a build service (\`dcm serve\`), follow its progress, download the dist into --out (default
      dist); the API key comes from DCM_API_KEY only. --json: one JSON event per line on stdout.
  dcm deploy <dist> --to <url> [--api-key <key>] [--json]
      live redeploy: a running \`dcm run\` switches to the new dist, clients between calls (docs/redeploy.md)

The build runs every compiler in a bubblewrap sandbox (no network, only the repository
and the toolchains visible); --driver container runs it in a Podman/Docker container
instead (docs/build-container.md); --driver local (or --no-sandbox) runs them directly,
for trusted code only.
--strict turns warnings into errors; --verbose also prints the hints that only
restate what dcm infers (libs, globalVar, typeDef the CFD does not list).
Exit codes: 0 ok, 1 diagnostics or fragment error, 2 usage error.
Docs: docs/cfd.md, docs/abi.md, docs/errors.md`;

class UsageError extends Error {}

interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: Io = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "validate":
        // The CFD writer (and the YAML parser with it) only for --fix.
        await Promise.all([load.analysis(), rest.includes("--fix") ? load.fix() : undefined]);
        return await cmdValidate(rest, io);
      case "analyze":
        await load.analysis();
        return await cmdAnalyze(rest, io);
      case "build":
        await load.build();
        return await cmdBuild(rest, io);
      case "invoke":
        await load.invoke();
        return await cmdInvoke(rest, io);
      case "run":
        await load.run();
        return await cmdRun(rest, io);
      case "worker":
        await load.worker();
        return await cmdWorker(rest, io, async (storeDir) => {
          const { sharedStoreRunner } = await import("../service/redis/redis-serve.js");
          return (await sharedStoreRunner(storeDir)).run;
        });
      case "serve":
        await load.serve();
        return await cmdServe(rest, io);
      case "key":
        return await cmdKey(rest, io);
      case "submit":
        return await (await import("./submit-command.js")).cmdSubmit(rest, io);
      case "deploy":
        return await (await import("./deploy-command.js")).cmdDeploy(rest, io);
      case undefined:
      case "help":
      case "--help":
      case "-h":
        io.out(USAGE + "\n");
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`Unknown command \`${command}\`.`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(
        `${formatDiagnostic(diag("DCM_CLI_USAGE", e.message, { suggestion: "Run `dcm --help`." }))}\n\n${USAGE}\n`,
      );
      return 2;
    }
    if (e instanceof DcmError) {
      printDiagnostics(e.diagnostics, { json: rest.includes("--json"), verbose: rest.includes("--verbose") }, io);
      return 1;
    }
    throw e;
  }
}

function parse(args: string[], options: Record<string, { type: "string" | "boolean" }>, positionals: number) {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: { json: { type: "boolean" }, ...options },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (parsed.positionals.length !== positionals) {
    throw new UsageError(`Expected ${positionals} positional argument(s), got ${parsed.positionals.length}.`);
  }
  return parsed;
}

/** Hints that only restate what dcm infers (catalog `verboseOnly`): printed with --verbose only. */
function shown(diags: Diagnostic[], verbose: boolean): Diagnostic[] {
  if (verbose) return diags;
  return diags.filter((d) => !(CATALOG[d.code as ErrorCode] as CatalogEntry | undefined)?.verboseOnly);
}

/** Text for people (verbose-only hints left out unless asked for), JSON with every diagnostic for machines. */
function printDiagnostics(diags: Diagnostic[], opts: { json: boolean; verbose?: boolean }, io: Io) {
  if (opts.json) {
    const out = diags.map((d) => (d.pos ? { ...d, pos: { ...d.pos, file: displayPath(d.pos.file) } } : d));
    io.out(JSON.stringify({ ok: !hasErrors(diags), diagnostics: out }, null, 2) + "\n");
    return;
  }
  const visible = shown(diags, Boolean(opts.verbose));
  for (const d of visible) io.err(formatDiagnostic(d, displayPath) + "\n");
  if (visible.length) io.err(summaryLine(visible) + "\n");
}

function summaryLine(diags: Diagnostic[]): string {
  const n = (s: string) => diags.filter((d) => d.severity === s).length;
  return `${n("error")} error(s), ${n("warning")} warning(s), ${n("hint")} hint(s)`;
}

async function cmdValidate(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    { repo: { type: "string" }, fix: { type: "boolean" }, strict: { type: "boolean" }, verbose: { type: "boolean" } },
    1,
  );
  const cfdPath = positionals[0]!;
  const repo = (values.repo as string | undefined) ?? ".";
  const analysis = await analyzeProject(repo, cfdPath, { check: true });
  let diags = analysis.diagnostics;
  if (values.fix && analysis.cfd && !hasErrors(diags)) {
    const text = await readFile(cfdPath, "utf8");
    const fixed = fixCfdText(text, detectedDeps(analysis.languages));
    if (fixed !== text) await writeFile(cfdPath, fixed);
    const again = await analyzeProject(repo, cfdPath, { check: true });
    diags = again.diagnostics;
    if (!values.json) io.err(fixed === text ? "Nothing to fix.\n" : `Fixed ${displayPath(resolve(cfdPath))}.\n`);
  }
  const json = Boolean(values.json);
  printDiagnostics(diags, { json, verbose: Boolean(values.verbose) }, io);
  const warnings = diags.filter((d) => d.severity === "warning").length;
  const refused = hasErrors(diags) || (Boolean(values.strict) && warnings > 0);
  if (!json && values.strict && warnings > 0 && !hasErrors(diags))
    io.err(`--strict: ${warnings} warning(s) count as errors.\n`);
  const groups = analysis.state?.groups ?? [];
  if (!json && groups.length) {
    // Briefly: what moves together (`dcm analyze` shows the variables and types).
    io.err(`${groups.length} state group(s): ${groups.map((g) => `${g.id} [${g.fragments.join(", ")}]`).join("; ")}\n`);
  }
  if (!json && !shown(diags, Boolean(values.verbose)).length) {
    io.err(`${displayPath(resolve(cfdPath))}: ${analysis.cfd?.fragments.length ?? 0} fragments, no problems.\n`);
  }
  return refused ? 1 : 0;
}

async function cmdAnalyze(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { cfd: { type: "string" }, verbose: { type: "boolean" } }, 1);
  if (!values.cfd) throw new UsageError("`dcm analyze` needs --cfd <file>.");
  const analysis = await analyzeProject(positionals[0]!, values.cfd as string);
  const fragments = analysis.languages.flatMap(({ result }) =>
    result.fragments.map(({ detail: _detail, ...f }) => ({
      ...f,
      runOn: analysis.cfd?.fragments.find((c) => c.id === f.id)?.runOn,
    })),
  );
  const types = Object.assign({}, ...analysis.languages.map(({ result }) => result.types));
  const filesParsed = analysis.languages.reduce((n, l) => n + l.result.filesParsed, 0);
  if (values.json) {
    const diagnostics = analysis.diagnostics.map((d) =>
      d.pos ? { ...d, pos: { ...d.pos, file: displayPath(d.pos.file) } } : d,
    );
    io.out(
      JSON.stringify(
        {
          ok: !hasErrors(analysis.diagnostics),
          fragments,
          types,
          groups: stateGroupsOut(analysis),
          diagnostics,
          filesParsed,
          timings: analysis.timings,
        },
        bigintSafe,
        2,
      ) + "\n",
    );
  } else {
    for (const f of fragments) {
      const file = displayPath(resolve(analysis.repo, f.file));
      io.out(`${f.id}\t${f.kind}\t${f.language}\t${f.symbol}\t${file}:${f.line}\t${f.runOn ?? ""}\n`);
      if (f.signature) io.out(`\tsignature: ${formatSignature(f.signature)} [${f.abi}]\n`);
      for (const [k, v] of Object.entries(f.deps)) if (v.length) io.out(`\t${k}: ${v.join(", ")}\n`);
    }
    for (const g of stateGroupsOut(analysis)) {
      const why = g.reasons.join(" + ");
      io.out(`group ${g.id}\t(${why})\tmoves together: ${g.fragments.join(", ")}\n`);
      for (const v of g.state) io.out(`\tstate: ${v.name}: ${v.type}\t${v.language} ${v.unit}\t${v.at}\n`);
    }
    printDiagnostics(analysis.diagnostics, { json: false, verbose: Boolean(values.verbose) }, io);
  }
  return hasErrors(analysis.diagnostics) ? 1 : 0;
}

/** The state groups as `dcm analyze` shows them: each group's fragments and the variables it keeps state in. */
function stateGroupsOut(analysis: Awaited<ReturnType<typeof analyzeProject>>) {
  return (analysis.state?.groups ?? []).map((g) => ({
    id: g.id,
    fragments: g.fragments,
    reasons: g.reasons,
    state: g.state.flatMap((p) =>
      p.vars.map((v) => {
        const field = analysis.state!.records[p.record]?.fields.find((f) => f.name === v.field);
        return {
          name: v.name,
          language: p.language,
          unit: v.unit,
          type: field ? typeName(field.type) : "?",
          at: `${displayPath(resolve(analysis.repo, v.source.file))}:${v.source.line}`,
        };
      }),
    ),
  }));
}

const bigintSafe = (_k: string, v: unknown) => (typeof v === "bigint" ? v.toString() : v);

function formatSignature(sig: Signature): string {
  const params = sig.params.map((p) => `${p.variadic ? "..." : ""}${p.name}: ${typeName(p.type)}`).join(", ");
  const results = sig.results.map(typeName);
  if (sig.error) results.push("error");
  return `(${params}) -> ${results.length === 1 ? results[0] : `(${results.join(", ")})`}`;
}

async function cmdBuild(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      cfd: { type: "string" },
      out: { type: "string" },
      strict: { type: "boolean" },
      verbose: { type: "boolean" },
      "no-sandbox": { type: "boolean" },
      driver: { type: "string" },
      events: { type: "string" },
    },
    1,
  );
  if (values.events !== undefined && values.events !== "ndjson")
    throw new UsageError(`--events takes \`ndjson\` (got \`${values.events}\`).`);
  // --events ndjson: one JSON object a line on stdout, as things happen (the build service runs `dcm build` so).
  const events = values.events === "ndjson" ? (e: object) => io.out(`${JSON.stringify(e)}\n`) : undefined;
  if (process.env.DCM_EXIT_ON_STDIN_EOF === "1") {
    // The build service holds our stdin: when it dies (even by SIGKILL) the pipe closes and this build
    // stops as on SIGTERM (temporaries removed, toolchain steps killed) instead of running on orphaned.
    process.stdin.on("end", () => process.kill(process.pid, "SIGTERM"));
    process.stdin.resume();
    (process.stdin as { unref?: () => void }).unref?.();
  }
  const driver = values.driver as string | undefined;
  if (driver !== undefined && !["sandbox", "container", "local"].includes(driver))
    throw new UsageError(`--driver must be sandbox, container or local (got \`${driver}\`).`);
  if (values["no-sandbox"] && driver !== undefined && driver !== "local")
    throw new UsageError(`--no-sandbox is \`--driver local\`; it cannot be combined with \`--driver ${driver}\`.`);
  const noSandbox = Boolean(values["no-sandbox"]) || driver === "local";
  if (noSandbox || (driver === undefined && /^(0|false|off|no)$/i.test(process.env.DCM_SANDBOX?.trim() ?? ""))) {
    io.err(
      "WARNING: --no-sandbox (--driver local, or DCM_SANDBOX=0): the compilers, build scripts and macros of this repository run directly on this machine, with its network and every file you can read. For trusted code only.\n",
    );
  }
  if (!values.cfd) throw new UsageError("`dcm build` needs --cfd <file>.");
  if (!values.out) throw new UsageError("`dcm build` needs --out <dir>.");
  const json = Boolean(values.json) || Boolean(events);
  const progress = new Progress(json ? null : process.stderr);
  const relDiag = (d: Diagnostic) => (d.pos ? { ...d, pos: { ...d.pos, file: displayPath(d.pos.file) } } : d);
  try {
    // Ctrl-C or a SIGTERM leaves no staging, work or cache temporaries behind.
    const report = await cleanupOnSignal(
      () =>
        buildDist({
          repo: positionals[0]!,
          cfd: values.cfd as string,
          out: values.out as string,
          strict: Boolean(values.strict),
          ...(noSandbox ? { sandbox: false } : {}),
          ...(driver ? { driver: driver as "sandbox" | "container" | "local" } : {}),
          ...(events
            ? {
                onStage: (stage: string, phase: "started" | "finished", ms?: number) =>
                  events({ type: "stage", stage, phase, ...(ms === undefined ? {} : { ms: Math.round(ms) }) }),
                onOutput: (step: string, stream: "stdout" | "stderr", line: string) =>
                  events({ type: "output", step, stream, line }),
              }
            : {}),
          onProgress: (step, detail) => {
            // The container image's first build takes a minute or more: its stages show off a terminal too.
            if (step === "container" && detail?.startsWith("container image") && !process.stderr.isTTY) io.err(`${detail}\n`);
            progress.step(step, detail);
          },
        }),
      () => {
        progress.done();
        return removeTempsSync();
      },
      io.err,
    ).catch((e: unknown) => {
      if (!events || !(e instanceof DcmError)) throw e;
      for (const d of e.diagnostics) events({ type: "diagnostic", diagnostic: relDiag(d) });
      events({ type: "result", ok: false });
      return null;
    });
    progress.done();
    if (!report) return 1;
    const summary = {
      ok: true,
      outDir: report.outDir,
      upToDate: report.upToDate,
      modulesCompiled: report.modulesCompiled,
      modulesFromCache: report.modulesFromCache,
      fragments: report.manifest.fragments.length,
      modules: report.manifest.modules.map((m) => ({ file: m.file, size: m.size, sha256: m.sha256 })),
      timings: Object.fromEntries(Object.entries(report.timings).map(([k, v]) => [k, Math.round(v)])),
      diagnostics: report.diagnostics.map(relDiag),
    };
    if (events) {
      for (const d of summary.diagnostics) events({ type: "diagnostic", diagnostic: d });
      events({ type: "result", ...summary });
    } else if (json) io.out(JSON.stringify(summary, null, 2) + "\n");
    else {
      // Hints are about the CFD, not the build: count them here (--verbose prints them), `dcm validate` shows them.
      const verbose = Boolean(values.verbose);
      const hints = shown(report.diagnostics, verbose).filter((d) => d.severity === "hint");
      printDiagnostics(
        report.diagnostics.filter((d) => d.severity !== "hint" || verbose),
        { json: false, verbose },
        io,
      );
      if (hints.length && !verbose)
        io.err(
          `${hints.length} hint(s) about the CFD: run \`dcm validate ${values.cfd} --repo ${positionals[0]}\` to see them.\n`,
        );
      const rel = displayPath(report.outDir);
      io.err(
        report.upToDate
          ? `${rel} is up to date (${summary.fragments} fragments).\n`
          : `Built ${summary.fragments} fragments into ${rel}: ${summary.modules.map((m) => `${m.file} (${(m.size / 1024).toFixed(0)} KiB)`).join(", ")}; ${report.modulesCompiled} compiled, ${report.modulesFromCache} from cache.\n`,
      );
    }
    return 0;
  } finally {
    progress.done();
  }
}

/** `--timeout <seconds>`: a positive number (default 30); `0` means no limit. Returns ms, or undefined for none. */
function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return 30_000;
  const s = Number(text);
  if (text.trim() === "" || !Number.isFinite(s) || s < 0)
    throw new UsageError(`--timeout must be a number of seconds (0 for no limit), got \`${text}\`.`);
  return s === 0 ? undefined : s * 1000;
}

/** A strong API key for DCM_API_KEYS (32 random bytes, base64url), from the shell. */
async function cmdKey(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {}, 0);
  const { generateApiKey } = await import("../../runtime/server/api/auth.js");
  const key = generateApiKey();
  io.out(values.json ? `${JSON.stringify({ key })}\n` : `${key}\n`);
  return 0;
}

async function cmdInvoke(args: string[], io: Io): Promise<number> {
  const spec = {
    args: { type: "string" },
    on: { type: "string" },
    target: { type: "string" },
    batch: { type: "string" },
    timeout: { type: "string" },
    isolation: { type: "string" },
    "memory-limit": { type: "string" },
  } as const;
  const batch = args.includes("--batch") || args.some((a) => a.startsWith("--batch="));
  const { values, positionals } = parse(args, spec, batch ? 1 : 2);
  const on = values.on as string | undefined;
  if (on !== "client" && on !== "server") throw new UsageError("`dcm invoke` needs --on client or --on server.");
  const target = values.target as string | undefined;
  if (target !== undefined && target !== "wasm" && target !== "native" && target !== "js")
    throw new UsageError("--target must be wasm, native or js.");
  if (target === "native" && on === "client")
    throw new UsageError("Native plugins run on the server only; use --on server.");
  const timeoutMs = parseTimeout(values.timeout as string | undefined);
  // What fragments print goes to stderr, prefixed; stdout holds the results only.
  const onOutput = outputPrinter((text) => io.err(text));
  const isolation = (values.isolation as string | undefined) ?? "process";
  if (isolation !== "process" && isolation !== "thread") throw new UsageError("--isolation must be process or thread.");
  const limitText = values["memory-limit"] as string | undefined;
  const memoryLimitMb = limitText === undefined ? undefined : Number(limitText);
  if (memoryLimitMb !== undefined && !(Number.isInteger(memoryLimitMb) && memoryLimitMb > 0))
    throw new UsageError(`--memory-limit must be a positive number of MiB, got \`${limitText}\`.`);
  const distOpts = { onOutput, isolation, ...(memoryLimitMb !== undefined ? { memoryLimitMb } : {}) } as const;
  const opts = {
    on,
    ...(target ? { target: target as ModuleTarget } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
  } as const;
  if (batch) {
    if (values.args !== undefined)
      throw new UsageError("--batch and --args exclude each other: the batch file holds the arguments.");
    return invokeBatch(positionals[0]!, values.batch as string, opts, io, distOpts);
  }
  const [distDir, name] = positionals as [string, string];
  const dist = await openDist(resolve(distDir), distOpts).catch((e: Error & { code?: string }) => {
    io.out(errorJson(e.code ?? "DCM_MANIFEST_INVALID", displayPathsIn(e.message)) + "\n");
    return null;
  });
  if (!dist) return 1;
  try {
    const f = dist.fragment(name);
    const sig = f.signature!;
    const argv = parseJsonArgs((values.args as string | undefined) ?? "[]", sig, dist.manifest.types);
    const value = await dist.call(f.id, argv, opts);
    const type = sig.results.length === 1 ? sig.results[0]! : sig.results;
    io.out(toCanonicalJson(value, type, dist.manifest.types) + "\n");
    return 0;
  } catch (e) {
    if (
      e instanceof FragmentCallError ||
      (e instanceof Error && "code" in e && typeof (e as { code: unknown }).code === "string")
    ) {
      const err = e as Error & { code: string };
      io.out(errorJson(err.code, displayPathsIn(err.message)) + "\n");
      return 1;
    }
    throw e;
  } finally {
    await dist.close();
    noteStuckThreads(dist.stuck);
  }
}
