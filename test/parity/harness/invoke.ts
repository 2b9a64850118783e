/**
 * Runs every case of a dist through `dcm invoke`, one process per placement:
 * `dcm invoke <dist> --batch <cases.json> --on client|server [--target wasm|native]`
 * prints one line per case in file order, the same text a single `dcm invoke`
 * prints (canonical JSON, or {"error":{...}}).
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runCli } from "../../support/run-cli.js";

export interface Placement {
  on: "client" | "server";
  target?: "wasm" | "native" | "js";
}

export function placementName(p: Placement): string {
  return `--on ${p.on}${p.target ? ` --target ${p.target}` : ""}`;
}

/** Per fragment id, each case's stdout line; `stderr`: everything else the run printed (fragment output included). */
export async function invokeBatch(
  dist: string,
  cases: Record<string, string[]>,
  p: Placement,
  tmp: string,
  captured: { stderr?: string } = {},
): Promise<Record<string, string[]>> {
  const file = join(tmp, `cases-${p.on}-${p.target ?? "default"}.json`);
  await writeFile(file, `{\n${Object.entries(cases).map(([id, list]) => `${JSON.stringify(id)}: [${list.join(", ")}]`).join(",\n")}\n}\n`);
  const total = Object.values(cases).reduce((n, l) => n + l.length, 0);
  const args = ["invoke", dist, "--batch", file, "--on", p.on, ...(p.target ? ["--target", p.target] : [])];
  const r = await runCli(args);
  captured.stderr = r.stderr;
  const lines = r.stdout.split("\n").filter((l) => l !== "");
  if (r.code !== 0 || lines.length !== total) {
    throw new Error(`parity: dcm ${args.join(" ")} printed ${lines.length} lines for ${total} cases (exit ${r.code}):\n${r.stderr}`);
  }
  const out: Record<string, string[]> = {};
  let i = 0;
  for (const [id, list] of Object.entries(cases)) out[id] = list.map(() => lines[i++]!);
  return out;
}
