/**
 * SIGINT/SIGTERM during a command that writes temporary files (`dcm build`):
 * remove them, then exit with the conventional code (128 + signal number:
 * 130, 143). Only the CLI exits; the library tracks the paths
 * (src/build/out-dir.ts) and leaves the decision to its caller.
 */
const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

export async function cleanupOnSignal<T>(
  run: () => Promise<T>,
  cleanup: () => number,
  err: (s: string) => void,
): Promise<T> {
  const handler = (signal: keyof typeof EXIT_CODES) => {
    const n = cleanup();
    err(`\ndcm: stopped by ${signal}; removed ${n} temporary file(s) and folder(s).\n`);
    process.exit(EXIT_CODES[signal]);
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
  try {
    return await run();
  } finally {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  }
}
