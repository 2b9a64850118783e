/**
 * The worker executor's shared-memory fast path (browser-safe): one
 * SharedArrayBuffer per worker holding a control block and a data region.
 *
 *   main: writes the encoded arguments into the data region, then moves
 *         STATE IDLE -> CALL and notifies; awaits a change with
 *         Atomics.waitAsync.
 *   worker: waits (Atomics.wait, after a short spin) while idle; on CALL it
 *         decodes the arguments, runs the fragment, writes the result frame
 *         (or an error) and moves STATE CALL -> DONE, or to POSTED when the
 *         answer did not fit and went by postMessage; then notifies.
 *   main: reads the answer, moves STATE back to IDLE (or WAKE) and notifies.
 *
 * WAKE asks a waiting worker to go back to its event loop: the pool sends it
 * after every postMessage call, so messages are never stuck behind a wait.
 * The worker also returns to its event loop after WAIT_MS without a call.
 */

export const STATE = 0;
export const ID = 1;
export const FRAG = 2;
export const LEN = 3;
export const KIND = 4;

export const IDLE = 0;
export const CALL = 1;
export const DONE = 2;
export const POSTED = 3;
export const WAKE = 4;

/** KIND of a DONE answer: an ok result frame (codec) or a JSON WorkerError. */
export const KIND_OK = 0;
export const KIND_ERR = 1;

export const CONTROL_BYTES = 64;
/** Data region per worker; larger arguments take the postMessage path. */
export const DATA_BYTES = 64 * 1024;

/** The worker's longest wait before it returns to its event loop. */
export const WAIT_MS = 50;
/** How long the worker spins after a call before it sleeps (µs-scale wake-ups for sequential calls). */
export const SPIN_MS = 0.2;

export interface Channel {
  sab: SharedArrayBuffer;
  ctl: Int32Array;
  data: Uint8Array;
}

export function channelOf(sab: SharedArrayBuffer): Channel {
  return {
    sab,
    ctl: new Int32Array(sab, 0, CONTROL_BYTES / 4),
    data: new Uint8Array(sab, CONTROL_BYTES, sab.byteLength - CONTROL_BYTES),
  };
}

/** Whether this thread can use the fast path: SharedArrayBuffer, Atomics.waitAsync, and (in browsers) cross-origin isolation. */
export function fastPathAvailable(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean; process?: { versions?: { node?: string } } };
  if (typeof SharedArrayBuffer !== "function") return false;
  if (typeof (Atomics as { waitAsync?: unknown }).waitAsync !== "function") return false;
  if (g.process?.versions?.node) return true;
  return g.crossOriginIsolated === true;
}

export function newChannel(): Channel {
  return channelOf(new SharedArrayBuffer(CONTROL_BYTES + DATA_BYTES));
}

/** A non-shared copy of `len` bytes of the data region (TextDecoder refuses shared views). */
export function copyOut(ch: Channel, len: number): Uint8Array {
  const out = new Uint8Array(len);
  out.set(ch.data.subarray(0, len));
  return out;
}
