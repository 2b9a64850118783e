/**
 * Turns the stderr of a failed `go build` into diagnostics: an error in a
 * user file is reported at that file and line, attributed to the fragment
 * whose declaration holds the line (else the nearest fragment in the file);
 * an error in a file dcm generated is reported as a dcm bug.
 */
import { isAbsolute, relative, resolve } from "node:path";
import { diag } from "../../../src/diagnostics/catalog.js";
import type { Diagnostic } from "../../../src/diagnostics/diagnostic-types.js";
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

export function goBuildDiagnostics(stderr: string, ctx: GoErrorContext): Diagnostic[] {
  const { spec } = ctx;
  const out: Diagnostic[] = [];
  const loose: string[] = [];
  const generated = new Set(spec.generated);
  let last: Diagnostic | undefined;

  for (const raw of stderr.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") continue;
    if (line.startsWith("# ")) continue; // `# example.com/pkg` package header
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
    const abs = isAbsolute(file!) ? file! : resolve(ctx.cwd, file!);
    const pos = { line: Number(lineNo), col: colNo ? Number(colNo) : 1 };
    let d: Diagnostic;
    if (generated.has(abs)) {
      d = diag(
        "DCM_COMPILE_FAILED",
        `go build failed in code dcm generated (${abs}): ${msg} — this is a dcm generator bug, please report it`,
        {
          pos: { file: abs, ...pos },
          suggestion: "Report this with the generated file; it is kept in the build's work folder.",
        },
      );
    } else {
      const shadow = spec.shadows[abs];
      const repoRel = shadow ?? toRepoRelative(spec.repo, abs);
      const frag = repoRel ? fragmentAt(spec, repoRel, pos.line) : undefined;
      const where = repoRel ?? abs;
      d = diag(
        "DCM_COMPILE_FAILED",
        frag ? `go build: ${msg} (fragment ${frag.id})` : `go build: ${msg}`,
        frag ? { pos: { file: where, ...pos }, fragment: frag.id } : { pos: { file: where, ...pos } },
      );
    }
    if (out.length < MAX_DIAGNOSTICS) out.push(d);
    last = d;
  }

  const text = loose
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
  spec: Pick<GoBuildSpec, "fragments">,
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

function truncate(text: string, maxLines = 40): string {
  const lines = text.split("\n");
  return lines.length <= maxLines
    ? text
    : `${lines.slice(0, maxLines).join("\n")}\n… (${lines.length - maxLines} more lines)`;
}
