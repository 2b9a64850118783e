/**
 * `dcm submit <repo> --cfd <file> --server <url> [--out dist] [--json]`:
 * packs the repository (src/service/client/pack-repo.ts), uploads it to a
 * `dcm serve`, follows the build's events, downloads and verifies the dist
 * into --out (src/service/client/install-dist.ts), or prints the build's
 * diagnostics and exits 1.
 *
 * The API key comes from DCM_API_KEY only: never from the command line
 * (visible in `ps` and shell history) nor the URL (logged by proxies).
 *
 * Output: stderr gets a progress line on a terminal, plain lines otherwise
 * (`queued`, `stage <name> started|finished in <ms> ms`, `[<step>] <output
 * line>`, the diagnostics, the result). With --json, stdout gets one JSON
 * object per line: `{"type":"submitted",…}`, every build event as the
 * service sent it, then `{"type":"result","ok":…}` (with `diagnostics`);
 * nothing else is printed.
 *
 * Ctrl-C (or SIGTERM) while the build runs cancels this submission in the
 * service (DELETE; a build that another submission shares goes on for it),
 * waits for the service's answer and exits 130 (143); a second Ctrl-C stops
 * waiting and leaves the build to the service.
 *
 * Known limitations: a dist already in --out is downloaded again even when
 * it is the one the service answers with.
 */
import { readFile } from "node:fs/promises";
import { basename, isAbsolute, relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { DcmError, dcmError, diag, formatDiagnostic } from "../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../runtime/diagnostics/diagnostic-types.js";
import { defaultCacheDir } from "../build/cache-dir.js";
import { checkOutDir, removeTempsSync } from "../build/out-dir.js";
import { displayPath } from "../core/paths.js";
import { BuildServiceClient, type CfdUpload } from "../service/client/build-client.js";
import { installDist } from "../service/client/install-dist.js";
import { cfdPathIn, packRepo } from "../service/client/pack-repo.js";
import type { BuildEvent } from "../service/service-types.js";
import { cleanupOnSignal } from "./interrupt.js";
import { Progress } from "./progress.js";

export const SUBMIT_USAGE = `dcm submit <repo> --cfd <file> --server <url> [--out <dir>] [--json]
  Builds the repository in a build service (\`dcm serve\`) and puts the dist in --out (default: dist).
  The API key comes from DCM_API_KEY (export DCM_API_KEY=<key>), never from the command line.`;

export interface SubmitIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

class SubmitUsage extends Error {}

const STOP_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM"];

export async function cmdSubmit(
  args: string[],
  io: SubmitIo,
  env: NodeJS.ProcessEnv = process.env,
  tty: NodeJS.WriteStream | null = process.stderr,
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    io.out(`${SUBMIT_USAGE}\n`);
    return 0;
  }
  const json = args.includes("--json");
  try {
    return await submit(args, io, env, json ? null : tty);
  } catch (e) {
    if (e instanceof SubmitUsage) {
      io.err(
        `${formatDiagnostic(diag("DCM_CLI_USAGE", e.message, { suggestion: "Run `dcm --help`." }))}\n\n${SUBMIT_USAGE}\n`,
      );
      return 2;
    }
    if (!(e instanceof DcmError)) throw e;
    if (json) io.out(`${JSON.stringify({ type: "result", ok: false, diagnostics: e.diagnostics })}\n`);
    else for (const d of e.diagnostics) io.err(`${formatDiagnostic(d, displayPath)}\n`);
    return 1;
  }
}

const OPTIONS = {
  cfd: { type: "string" },
  server: { type: "string" },
  out: { type: "string" },
  json: { type: "boolean" },
} as const;

function parseOrUsage(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new SubmitUsage((e as Error).message);
  }
}

function parse(args: string[]) {
  const parsed = parseOrUsage(args);
  const { values, positionals } = parsed;
  if (positionals.length !== 1)
    throw new SubmitUsage(`Expected 1 positional argument (the repository), got ${positionals.length}.`);
  if (!values.cfd) throw new SubmitUsage("`dcm submit` needs --cfd <file>.");
  if (!values.server) throw new SubmitUsage("`dcm submit` needs --server <url> (e.g. http://127.0.0.1:8090).");
  let url: URL;
  try {
    url = new URL(values.server);
  } catch {
    throw new SubmitUsage(`--server must be a URL such as http://127.0.0.1:8090, got \`${values.server}\`.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new SubmitUsage(`--server must be an http: or https: URL, got \`${url.protocol}\`.`);
  if (url.username || url.password || url.search)
    throw new SubmitUsage(
      "--server must not carry credentials or a query: the key goes in DCM_API_KEY (`export DCM_API_KEY=<key>`).",
    );
  return {
    repo: positionals[0]!,
    cfd: values.cfd,
    server: url.href,
    out: values.out ?? "dist",
    json: Boolean(values.json),
  };
}

async function submit(args: string[], io: SubmitIo, env: NodeJS.ProcessEnv, tty: NodeJS.WriteStream | null) {
  const opts = parse(args);
  const key = env.DCM_API_KEY?.trim();
  if (!key)
    throw dcmError(
      "DCM_SUBMIT_NO_KEY",
      "DCM_API_KEY is not set: `dcm submit` sends it to the build service as its API key.",
      {
        suggestion:
          "export DCM_API_KEY=<key>, a key the service accepts (one of its DCM_API_KEYS, or the key `dcm serve` printed when it started).",
      },
    );
  const repo = resolve(opts.repo);
  const out = resolve(opts.out);
  const cfdText = await readFile(opts.cfd, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw dcmError("DCM_SUBMIT_INPUT", `The CFD ${opts.cfd} cannot be read (${e.code ?? e.message}).`, {
      suggestion: "Give --cfd the path of the CFD file (YAML).",
    });
  });
  const ctx = { repo, cfd: resolve(opts.cfd), cacheDir: defaultCacheDir() };
  // Refused before anything is packed or uploaded, as `dcm build --out` refuses before building.
  await checkOutDir(out, ctx);
  const emit = (o: object) => io.out(`${JSON.stringify(o)}\n`);
  const say = (s: string) => {
    if (!opts.json) io.err(`${s}\n`);
  };

  const packed = await packRepo(repo, { exclude: [out] });
  const inRepo = cfdPathIn(repo, opts.cfd);
  // A CFD the packing leaves out (.gitignore'd) is uploaded as a file of its own.
  const cfd: CfdUpload =
    inRepo !== null && packed.entries.some((e) => e.path === inRepo)
      ? { cfdPath: inRepo }
      : { cfdText, name: basename(opts.cfd) };
  const client = new BuildServiceClient(opts.server, key);
  const answer = await client.submit(packed.data, cfd);
  const summary = {
    id: answer.id,
    files: packed.entries.length,
    bytes: packed.bytes,
    archiveBytes: packed.data.length,
    archiveSha256: packed.sha256,
    ...("cfdPath" in cfd ? { cfdPath: cfd.cfdPath } : { cfdUploaded: cfd.name }),
  };
  if (opts.json) emit({ type: "submitted", ...summary });
  else
    say(
      `Submitted ${displayPath(repo)} (${summary.files} files, ${kib(packed.data.length)} packed) to ${opts.server.replace(/\/+$/, "")}: build ${answer.id}.`,
    );

  const progress = new Progress(tty);
  const live: Diagnostic[] = [];
  const onEvent = (e: BuildEvent) => {
    if (opts.json) return emit(e);
    if (e.type === "diagnostic") live.push(e.diagnostic);
    if (tty?.isTTY) {
      if (e.type === "stage") progress.step(e.stage);
      else if (e.type === "output") progress.step(e.step, e.line.slice(0, 100));
      else if (e.type === "queued") progress.step("queued");
      return;
    }
    if (e.type === "queued") say("queued");
    else if (e.type === "stage")
      say(
        `stage ${e.stage} ${e.phase}${e.phase === "finished" && e.ms !== undefined ? ` in ${Math.round(e.ms)} ms` : ""}`,
      );
    else if (e.type === "output") say(`[${e.step}] ${e.line}`);
  };
  let final: Awaited<ReturnType<BuildServiceClient["follow"]>>;
  let stoppedBy: NodeJS.Signals | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stoppedBy) {
      // A second signal: stop waiting; the default action ends the process (130/143 in the shell).
      for (const s of STOP_SIGNALS) process.off(s, onSignal);
      io.err(`\ndcm submit: ${sig} again: build ${answer.id} is left to the service.\n`);
      process.kill(process.pid, sig);
      return;
    }
    stoppedBy = sig;
    progress.done();
    io.err(`\ndcm submit: ${sig}: cancelling build ${answer.id} in the service (${sig} again leaves it running)…\n`);
    client.cancel(answer.id).catch((e: Error) => io.err(`dcm submit: the cancel failed: ${e.message}\n`));
  };
  for (const s of STOP_SIGNALS) process.on(s, onSignal);
  try {
    final = await client.follow(answer.id, onEvent);
  } finally {
    for (const s of STOP_SIGNALS) process.off(s, onSignal);
    progress.done();
  }
  if (stoppedBy) {
    if (opts.json) emit({ type: "result", ok: false, id: answer.id, state: final.state, reason: `stopped by ${stoppedBy}`, diagnostics: [] });
    else io.err(`dcm submit: build ${answer.id} ${final.state}.\n`);
    return stoppedBy === "SIGINT" ? 130 : 143;
  }
  const record = await client.record(answer.id);
  // An uploaded CFD sits at record.cfdPath in the service's copy: its diagnostics point at the local file.
  const uploadedCfd = "cfdText" in cfd ? { at: record.cfdPath, local: resolve(opts.cfd) } : null;
  const diagnostics = (record.diagnostics?.length ? record.diagnostics : live).map((d) =>
    inRepoPath(d, repo, uploadedCfd),
  );

  if (final.state !== "succeeded") {
    const reason = final.reason ?? record.reason;
    const failure = diag(
      "DCM_SUBMIT_BUILD_FAILED",
      `Build ${answer.id} ${final.state}${reason ? ` (${reason})` : ""}${diagnostics.length ? `: ${diagnostics.length} diagnostic(s) above` : ""}.`,
    );
    if (opts.json)
      emit({
        type: "result",
        ok: false,
        id: answer.id,
        state: final.state,
        reason,
        diagnostics: [...diagnostics, failure],
      });
    else for (const d of [...diagnostics, failure]) io.err(`${formatDiagnostic(d, displayPath)}\n`);
    return 1;
  }

  // Ctrl-C while the dist is unpacked leaves no staging folder behind.
  const files = await cleanupOnSignal(
    async () =>
      installDist(await client.distArchive(answer.id), record.manifest, out, ctx, (f) =>
        client.distFileSha256(answer.id, f),
      ),
    removeTempsSync,
    io.err,
  );
  const modules = record.manifest?.modules.map((m) => ({ file: m.file, size: m.size, sha256: m.sha256 })) ?? [];
  if (opts.json) {
    emit({
      type: "result",
      ok: true,
      id: answer.id,
      outDir: out,
      fromStore: Boolean(final.fromStore ?? record.fromStore),
      fragments: record.manifest?.fragments.length ?? 0,
      modules,
      files,
      diagnostics,
    });
  } else {
    for (const d of diagnostics.filter((d) => d.severity !== "hint")) io.err(`${formatDiagnostic(d, displayPath)}\n`);
    say(
      `Built ${record.manifest?.fragments.length ?? 0} fragments into ${displayPath(out)}${final.fromStore || record.fromStore ? " (answered from the service's store)" : ""}: ${modules.map((m) => `${m.file} (${kib(m.size)})`).join(", ")}.`,
    );
  }
  return 0;
}

const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

/** A diagnostic's file as a path in the local repository (the service reports them relative to the repository). */
function inRepoPath(d: Diagnostic, repo: string, cfd: { at: string; local: string } | null): Diagnostic {
  if (!d.pos || isAbsolute(d.pos.file)) return d;
  if (cfd && d.pos.file === cfd.at) return { ...d, pos: { ...d.pos, file: cfd.local } };
  const local = resolve(repo, d.pos.file);
  return relative(repo, local).startsWith("..") ? d : { ...d, pos: { ...d.pos, file: local } };
}
