/**
 * Small helpers of the process host (process-host.ts): the child's command
 * line, blocking writes, descriptors and process groups, and the exit status
 * of a child the event loop has not reaped yet.
 */
import { readFileSync, writeSync } from "node:fs";
import { closeFd } from "./libc.js";
import { createRequire } from "node:module";
import { constants } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { siblingModule } from "./spawn-worker.js";

/** The command that starts a child: compiled .js runs as is, .ts sources (tests) under tsx. */
export function childCommand(): string[] {
  const entry = siblingModule("isolated-child", import.meta.url);
  if (!entry.pathname.endsWith(".ts")) return [fileURLToPath(entry)];
  const tsx = createRequire(import.meta.url).resolve("tsx/esm");
  return ["--import", pathToFileURL(tsx).href, fileURLToPath(entry)];
}

export function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
}

export function closeQuietly(fd: number | null): void {
  if (fd === null) return;
  closeFd(fd); // false when already closed: nothing to do
}

export function killGroup(pid: number): void {
  // Never -1 or 0: kill(-1) and kill(0) would reach far more than the child's group.
  if (!(pid > 1)) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** The exit status of a dead child this thread's event loop has not reaped yet (a zombie): /proc says it. */
export function zombieStatus(pid: number): string | null {
  const until = performance.now() + 200;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (performance.now() < until) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z" || fields[0] === "X") {
        const raw = Number(fields[49]);
        if (!Number.isFinite(raw)) return null;
        const sig = raw & 0x7f;
        const name = Object.entries(constants.signals).find(([, n]) => n === sig)?.[0] ?? `signal ${sig}`;
        return sig ? `was killed by ${name}` : `exited with code ${(raw >> 8) & 0xff}`;
      }
    } catch {
      return null;
    }
    Atomics.wait(nap, 0, 0, 2);
  }
  return null;
}
