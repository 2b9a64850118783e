import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { fileURLToPath } from "node:url";
import { checkDistManifest } from "./manifest-schema-check.js";

export const DCM_BIN = fileURLToPath(new URL("../../bin/dcm.js", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `dcm` CLI (build/ must be compiled: `npm test` does that first). */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [DCM_BIN, ...args],
      { env: opts.env ?? process.env, cwd: opts.cwd ?? ROOT, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        try {
          if (code === 0) checkBuiltDist(args, opts.cwd ?? ROOT);
        } catch (e) {
          reject(e);
          return;
        }
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** After a successful `dcm build --out <dir>`: the dist's manifest follows docs/manifest.schema.json (throws if not). */
function checkBuiltDist(args: string[], cwd: string): void {
  if (args[0] !== "build") return;
  const i = args.findIndex((a) => a === "--out" || a.startsWith("--out="));
  if (i < 0) return;
  const out = args[i] === "--out" ? args[i + 1] : args[i]!.slice("--out=".length);
  if (!out) return;
  const dir = resolvePath(cwd, out);
  if (existsSync(resolvePath(dir, "manifest.json"))) checkDistManifest(dir);
}

/** Runs async jobs with at most `limit` in flight (the machine has two cores). */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}
