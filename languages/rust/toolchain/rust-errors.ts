/**
 * Turns `cargo build --message-format=json` output into diagnostics: an
 * error in a user file is reported at the user's file:line and attributed
 * to the fragment whose declaration holds the line (else the nearest
 * fragment of the file); an error in code dcm wrote (zz_dcm_abi.rs, the
 * appended wrappers, Cargo.toml) is reported as a dcm bug; cargo's own
 * failures (a dependency that does not resolve or needs a newer rustc) get
 * their own explanation.
 */
import { isAbsolute, posix, relative } from "node:path";
import { diag } from "../../../runtime/diagnostics/catalog.js";
import type { Diagnostic } from "../../../runtime/diagnostics/diagnostic-types.js";
import type { RustBuildSpec } from "../generate/build-spec.js";
import type { RustToolchainInfo } from "./rust-toolchain.js";

const MAX_DIAGNOSTICS = 20;

interface Span {
  file_name: string;
  line_start: number;
  column_start: number;
  is_primary: boolean;
}

interface CompilerMessage {
  level: string;
  message: string;
  rendered?: string;
  spans: Span[];
}

export function cargoDiagnostics(
  stdout: string,
  stderr: string,
  ctx: { spec: RustBuildSpec; buildCrateDir: string; toolchain: RustToolchainInfo; installHint: string },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    let msg: { reason?: string; message?: CompilerMessage; target?: { src_path?: string } };
    try {
      msg = JSON.parse(line);
    } catch {
      continue;
    }
    if (msg.reason !== "compiler-message" || !msg.message || msg.message.level !== "error") continue;
    const m = msg.message;
    if (/^aborting due to|^could not compile/.test(m.message)) continue;
    const span = m.spans.find((s) => s.is_primary) ?? m.spans[0];
    if (out.length < MAX_DIAGNOSTICS) out.push(toDiagnostic(m, span, ctx));
  }
  if (out.length > 0) return out;
  const text = stderr
    .split("\n")
    .filter((l) => !/^\s*(Compiling|Downloaded|Downloading|Updating|Locking|Adding|Blocking|Finished)\b/.test(l))
    .join("\n")
    .trim();
  const tc = ctx.toolchain;
  const tooNew =
    /feature `edition20\d\d` is required|this version of Cargo is older than the `(\d+)` edition|requires rustc (\d+\.\d+(?:\.\d+)?)|rustc (\d+\.\d+\.\d+) is not supported|package `[^`]+` cannot be built because it requires rustc ([\d.]+)|lock file version \d+ requires `-Znext-lockfile-bump`|failed to parse lock file/.exec(
      text,
    );
  if (tooNew) {
    const edition = tooNew[1];
    const need = edition ? undefined : (tooNew[2] ?? tooNew[3] ?? tooNew[4]);
    return [
      diag(
        "DCM_TOOLCHAIN_TOO_OLD",
        `${tc.version} (${tc.path}) cannot build this crate${ctx.spec.target === "wasm" ? " for wasm32" : ""}: ${edition ? `it uses edition ${edition}, which ${tc.version} does not know` : need ? `it needs rustc ${need} or newer` : "it needs a newer Rust toolchain"}:\n${truncate(text)}`,
        {
          suggestion: `Install a newer toolchain with rustup and its wasm32 target: ${ctx.installHint}${tc.origin === "system" ? " (Debian's rustc is the fallback, too old for this crate)" : ""}`,
        },
      ),
    ];
  }
  if (/failed to (download|get|fetch|load source)|no matching package|Couldn't resolve host|failed to query replaced source|network/i.test(text)) {
    return [
      diag("DCM_COMPILE_FAILED", `cargo could not get the crate's dependencies:\n${truncate(text)}`, {
        suggestion: "Check the [dependencies] of Cargo.toml and the network (or run `cargo fetch` in the crate once).",
      }),
    ];
  }
  return [diag("DCM_COMPILE_FAILED", `cargo build failed:\n${truncate(text || "(no output)")}`)];
}

function toDiagnostic(
  m: CompilerMessage,
  span: Span | undefined,
  ctx: { spec: RustBuildSpec; buildCrateDir: string },
): Diagnostic {
  const detail = (m.rendered ?? m.message).trim();
  if (!span) return diag("DCM_COMPILE_FAILED", `rustc: ${detail}`);
  const rel = isAbsolute(span.file_name) ? relative(ctx.buildCrateDir, span.file_name) : span.file_name;
  const relPosix = rel.split("\\").join("/");
  const pos = { line: span.line_start, col: span.column_start };
  const user = ctx.spec.userFiles[relPosix];
  if (user && span.line_start <= user.lines) {
    const frag = fragmentAt(ctx.spec, user.repoFile, span.line_start);
    return diag("DCM_COMPILE_FAILED", frag ? `rustc: ${m.message} (fragment ${frag.id})\n${detail}` : `rustc: ${m.message}\n${detail}`, {
      pos: { file: user.repoFile, ...pos },
      ...(frag ? { fragment: frag.id } : {}),
    });
  }
  if (user || ctx.spec.generated.includes(relPosix)) {
    return diag(
      "DCM_COMPILE_FAILED",
      `rustc failed in code dcm generated (${posix.join("crate", relPosix)}:${pos.line}): ${m.message} — this is a dcm generator bug, please report it\n${detail}`,
      { suggestion: "Report this with the generated crate (dcm's cache folder, cargo-src/)." },
    );
  }
  return diag("DCM_COMPILE_FAILED", `rustc: ${m.message} in ${span.file_name}:${pos.line}\n${detail}`);
}

/** The fragment whose declaration holds the line, else the nearest one in the file. */
export function fragmentAt(spec: Pick<RustBuildSpec, "fragments">, file: string, line: number): { id: string } | undefined {
  let best: { id: string; dist: number } | undefined;
  for (const f of spec.fragments) {
    if (f.file !== file) continue;
    const dist = line < f.line ? f.line - line : line > f.endLine ? line - f.endLine : 0;
    if (!best || dist < best.dist || (dist === best.dist && f.id < best.id)) best = { id: f.id, dist };
  }
  return best ? { id: best.id } : undefined;
}

function truncate(text: string, maxLines = 30): string {
  const lines = text.split("\n");
  return lines.length <= maxLines ? text : `${lines.slice(0, maxLines).join("\n")}\n… (${lines.length - maxLines} more lines)`;
}
