/**
 * Turns the stderr of a failed `go build` into diagnostics: an error in a
 * user file is reported at that file and line, attributed to the fragment
 * whose declaration holds the line (else the nearest fragment in the file);
 * an error in a file dcm generated is reported as a dcm bug.
 */
import { isAbsolute, relative, resolve } from "node:path";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { GoBuildSpec } from "../generate/build-spec.js";

const POS_LINE = /^(.+?\.(?:go|s|c|h)):(\d+)(?::(\d+))?: (.*)$/;

/** At most this many positioned errors become diagnostics (Go itself stops at 10 per package). */
const MAX_DIAGNOSTICS = 20;

export interface GoErrorContext {
  spec: GoBuildSpec;
  /** Working directory of the go build (relative paths in stderr are relative to it). */
  cwd: string;
  /** The toolchain's install hint, for missing-C-compiler and version problems. */
  installHint?: string;
}

/** One positioned error of `go build`'s stderr. */
export interface GoBuildError {
  /** Absolute path as the compiler printed it (relative ones resolved against the build's folder). */
  file: string;
  line: number;
  col: number;
  /** The message, continuation lines joined with newlines. */
  message: string;
  /** The package being compiled (from the `# import/path` header above it). */
  pkg?: string;
}

export interface GoBuildOutput {
  errors: GoBuildError[];
  /** Lines that are neither positioned errors nor package headers. */
  loose: string[];
}

export function parseGoBuildOutput(stderr: string, cwd: string): GoBuildOutput {
  const errors: GoBuildError[] = [];
  const loose: string[] = [];
  let pkg: string | undefined;
  let last: GoBuildError | undefined;
  for (const raw of stderr.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;
    if (line.startsWith("# ")) {
      // `# example.com/pkg` package header (`# [example.com/pkg]` for tests)
      pkg = line
        .slice(2)
        .trim()
        .replace(/^\[(.*)\]$/, "$1");
      last = undefined;
      continue;
    }
    if (/^\s/.test(line) && last) {
      // Continuation of the previous message (e.g. "have (…) want (…)").
      last.message += `\n${line.trim()}`;
      continue;
    }
    const m = POS_LINE.exec(line);
    if (!m) {
      last = undefined;
      loose.push(line);
      continue;
    }
    const [, file, lineNo, colNo, msg] = m;
    last = {
      file: isAbsolute(file!) ? file! : resolve(cwd, file!),
      line: Number(lineNo),
      col: colNo ? Number(colNo) : 1,
      message: msg!,
      ...(pkg ? { pkg } : {}),
    };
    errors.push(last);
  }
  return { errors, loose };
}

/** The repo-relative user file an error stands in (through package main and pruned copies), if any. */
export function userFileOf(spec: GoBuildSpec, abs: string): string | undefined {
  if (new Set(spec.generated).has(abs)) return undefined;
  return spec.shadows[abs] ?? toRepoRelative(spec.repo, abs);
}

export function goBuildDiagnostics(stderr: string, ctx: GoErrorContext): Diagnostic[] {
  const { spec } = ctx;
  const out: Diagnostic[] = [];
  const generated = new Set(spec.generated);
  const parsed = parseGoBuildOutput(stderr, ctx.cwd);

  for (const e of parsed.errors) {
    const pos = { line: e.line, col: e.col };
    let d: Diagnostic;
    if (generated.has(e.file)) {
      d = diag(
        "DCM_COMPILE_FAILED",
        `go build failed in code dcm generated (${e.file}): ${e.message} — this is a dcm generator bug, please report it`,
        {
          pos: { file: e.file, ...pos },
          suggestion: "Report this with the generated file; it is kept in the build's work folder.",
        },
      );
    } else {
      const repoRel = userFileOf(spec, e.file);
      const frag = repoRel ? fragmentAt(spec, repoRel, pos.line) : undefined;
      const where = repoRel ?? e.file;
      d = diag(
        "DCM_COMPILE_FAILED",
        frag ? `go build: ${e.message} (fragment ${frag.id})` : `go build: ${e.message}`,
        frag ? { pos: { file: where, ...pos }, fragment: frag.id } : { pos: { file: where, ...pos } },
      );
    }
    if (out.length < MAX_DIAGNOSTICS) out.push(d);
  }

  const text = parsed.loose
    .filter((l) => !/^go: downloading /.test(l))
    .join("\n")
    .trim();
  if (text) {
    const special = classifyLoose(text, ctx);
    if (special) out.push(special);
    else if (out.length === 0) out.push(diag("DCM_COMPILE_FAILED", `go build failed:\n${truncate(text)}`));
  }
  if (out.length === 0) out.push(diag("DCM_COMPILE_FAILED", "go build failed without a message"));
  return out;
}

/** Non-positional failures that have a better code or a clearer explanation. */
function classifyLoose(text: string, ctx: GoErrorContext): Diagnostic | undefined {
  if (
    /exec: "[^"]*(gcc|cc|clang)[^"]*": executable file not found/.test(text) ||
    /C compiler "[^"]*" not found/.test(text)
  ) {
    return diag(
      "DCM_TOOLCHAIN_MISSING",
      `the native plugin needs a C compiler for cgo, and none was found:\n${truncate(text)}`,
      {
        suggestion: "Install gcc: `apt-get install -y gcc` (or `bash toolchains/install.sh`).",
      },
    );
  }
  const tooOld =
    /requires go >= ([0-9.]+)[^\n]*running go ([0-9.]+)/.exec(text) ??
    /go: go\.(?:mod|work) requires go >= ([0-9.]+)/.exec(text);
  if (tooOld) {
    return diag("DCM_TOOLCHAIN_TOO_OLD", `the module needs Go ${tooOld[1]} or newer:\n${truncate(text)}`, {
      suggestion: `Install Go ${tooOld[1]} or newer from https://go.dev/dl/ (${ctx.installHint ?? "bash toolchains/go/install.sh"}).`,
    });
  }
  if (
    /missing go\.sum entry|dial tcp|GOPROXY=off|module lookup disabled|proxy\.golang\.org|no such host|i\/o timeout|connection refused|verifying module|reading .*\/@v\//.test(
      text,
    )
  ) {
    return diag(
      "DCM_COMPILE_FAILED",
      `go build could not get the modules the code needs (no network, a blocked GOPROXY, or a go.sum without their hashes):\n${truncate(text)}`,
      {
        suggestion: `Run \`go mod download\` (or \`go mod tidy\`) in ${ctx.spec.moduleRoot} with network access, then build again.`,
      },
    );
  }
  return undefined;
}

function toRepoRelative(repo: string, abs: string): string | undefined {
  const rel = relative(repo, abs);
  if (rel.startsWith("..") || isAbsolute(rel)) return undefined;
  return rel.split("\\").join("/");
}

/** The fragment whose declaration holds the line, else the nearest one in the file. */
export function fragmentAt(
  spec: { fragments: Array<{ id: string; file: string; line: number; endLine: number }> },
  file: string,
  line: number,
): { id: string } | undefined {
  let best: { id: string; dist: number } | undefined;
  for (const f of spec.fragments) {
    if (f.file !== file) continue;
    const dist = line < f.line ? f.line - line : line > f.endLine ? line - f.endLine : 0;
    if (!best || dist < best.dist || (dist === best.dist && f.id < best.id)) best = { id: f.id, dist };
  }
  return best ? { id: best.id } : undefined;
}

export function truncate(text: string, maxLines = 40): string {
  const lines = text.split("\n");
  return lines.length <= maxLines
    ? text
    : `${lines.slice(0, maxLines).join("\n")}\n… (${lines.length - maxLines} more lines)`;
}
