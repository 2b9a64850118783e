/**
 * Ending the CLI's process when a worker thread is stuck inside native code
 * (a native plugin's fragment that never returns, abandoned after its
 * timeout). Node cannot stop such a thread, and both a normal exit and
 * process.exit() wait for every worker thread to stop: they would hang.
 * libc's `_exit` ends the process at once, after stdout and stderr are
 * flushed. Only the CLI entry (bin/dcm.js) calls this; library code never
 * ends the process.
 */
/** Worker threads the CLI abandoned inside native code (counted by `dcm invoke`). */
let stuck = 0;

export function noteStuckThreads(n: number): void {
  stuck += n;
}

export function hasStuckThreads(): boolean {
  return stuck > 0;
}

const LIBC = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1", "libSystem.B.dylib"];

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (!stream.write("", () => resolve())) stream.once("drain", () => resolve());
  });
}

/** Flushes stdout and stderr, then ends the process with `code` without waiting for worker threads. */
export async function hardExit(code: number): Promise<never> {
  await Promise.all([flush(process.stdout), flush(process.stderr)]);
  // Loaded here only: the CLI's start-up does not pay for it.
  const koffi = (await import("koffi")).default;
  for (const name of LIBC) {
    try {
      const exit = koffi.load(name).func("void _exit(int)") as (code: number) => void;
      exit(code);
    } catch {
      // not this platform's libc: try the next one
    }
  }
  // No libc found: a signal ends the process too (its exit status says so instead of `code`).
  process.kill(process.pid, "SIGKILL");
  return new Promise<never>(() => {});
}
