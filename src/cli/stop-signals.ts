/**
 * How the long-running commands (`dcm run`, `dcm serve`, `dcm worker`) take
 * SIGINT and SIGTERM: the first signal asks for a clean stop (`stopped`
 * resolves with it); a second one ends the process at once (SIGKILL to
 * itself), so a stop that hangs never needs a third terminal. Installed
 * before anything starts, so that a signal that arrives while starting still
 * stops cleanly.
 */
export interface StopSignals {
  /** The first signal received, or null. */
  requested(): NodeJS.Signals | null;
  /** Resolves with the first signal. */
  stopped: Promise<NodeJS.Signals>;
  /** Removes the handlers (after the clean stop). */
  off(): void;
}

/** `again` is the line printed (to `err`) when a second signal ends the process. */
export function onStopSignals(signals: NodeJS.Signals[], again: (sig: NodeJS.Signals) => string, err: (text: string) => void): StopSignals {
  let requested: NodeJS.Signals | null = null;
  let onStop: ((sig: NodeJS.Signals) => void) | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (requested) {
      err(`${again(sig)}\n`);
      process.kill(process.pid, "SIGKILL");
      return;
    }
    requested = sig;
    onStop?.(sig);
  };
  for (const s of signals) process.on(s, onSignal);
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    onStop = resolve;
    if (requested) resolve(requested);
  });
  return {
    requested: () => requested,
    stopped,
    off: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}
