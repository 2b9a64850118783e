/**
 * A real `dcm serve` on loopback for the `dcm submit` tests and benches: the
 * CLI in a child process of its own (port 0, a temporary store, one API key),
 * stopped with SIGTERM by its pid. Paths from projectRoot() so that the
 * benches (compiled into build/) use it too.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { projectRoot } from "../../src/core/paths.js";

export interface ServeHandle {
  url: string;
  key: string;
  store: string;
  log: () => string;
  stop: () => Promise<void>;
}

export async function startServe(store: string, extra: string[] = []): Promise<ServeHandle> {
  const key = randomBytes(32).toString("base64url");
  const root = projectRoot();
  const child: ChildProcess = spawn(
    process.execPath,
    [join(root, "bin", "dcm.js"), "serve", "--port", "0", "--host", "127.0.0.1", "--store", store, ...extra],
    { cwd: root, env: { ...process.env, DCM_API_KEYS: key }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let text = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (b: Buffer) => {
      text += b.toString("utf8");
      const m = /build service at (http:\/\/127\.0\.0\.1:\d+)\//.exec(text);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`dcm serve exited (${code}) before listening:\n${text}`)));
  });
  return {
    url,
    key,
    store,
    log: () => text,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}
