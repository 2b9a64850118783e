/**
 * A request/response channel over a growable SharedArrayBuffer, for
 * synchronous calls into a worker. Layout: four Int32 control words, then the
 * payload. Each side spins briefly before blocking, because a native call
 * takes about a microsecond while waking a blocked thread takes tens.
 */

/** Control words. */
const REQ = 0; // sequence number of the latest request (main writes)
const RESP = 1; // sequence number of the latest response (worker writes)
const LEN = 2; // payload length
const KIND = 3; // request: fragment index; response: RESP_FRAME or RESP_ERROR

export const HEADER_BYTES = 16;
export const RESP_FRAME = 0;
/** The payload is UTF-8 JSON `{code, message}`. */
export const RESP_ERROR = 1;

const INITIAL_BYTES = 64 * 1024;
const MAX_BYTES = 1 << 30;

// ES2024 (Node >= 16); not in this project's TypeScript lib.
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

type GrowableSab = SharedArrayBuffer & { grow(n: number): void; readonly maxByteLength: number };

export function createChannelBuffer(): SharedArrayBuffer {
  const Ctor = SharedArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => SharedArrayBuffer;
  return new Ctor(INITIAL_BYTES, { maxByteLength: MAX_BYTES });
}

export class SyncChannel {
  readonly ctrl: Int32Array;
  /** Length-tracking: follows the buffer when either side grows it. */
  readonly data: Uint8Array;
  private readonly sab: GrowableSab;

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab as GrowableSab;
    this.ctrl = new Int32Array(sab, 0, 4);
    this.data = new Uint8Array(sab, HEADER_BYTES);
  }

  /** Makes room for `n` payload bytes; false when the channel cannot hold that many. */
  reserve(n: number): boolean {
    const need = HEADER_BYTES + n;
    if (need <= this.sab.byteLength) return true;
    if (need > this.sab.maxByteLength) return false;
    let size = this.sab.byteLength;
    while (size < need) size *= 2;
    this.sab.grow(Math.min(size, this.sab.maxByteLength));
    return true;
  }

  // ---- caller side ----

  private seq = 0;

  /** Posts a request whose payload is already in `data`, and blocks until the answer. Returns [kind, length]. */
  request(index: number, len: number, spinMicros: number): [number, number] {
    const ctrl = this.ctrl;
    ctrl[LEN] = len;
    ctrl[KIND] = index;
    const seq = ++this.seq;
    Atomics.store(ctrl, REQ, seq);
    Atomics.notify(ctrl, REQ);
    if (Atomics.load(ctrl, RESP) !== seq) {
      const until = performance.now() + spinMicros / 1000;
      while (Atomics.load(ctrl, RESP) !== seq && performance.now() < until) {
        // spin: the answer usually comes within microseconds
      }
      while (Atomics.load(ctrl, RESP) !== seq) Atomics.wait(ctrl, RESP, seq - 1, 1000);
    }
    return [ctrl[KIND]!, ctrl[LEN]!];
  }

  // ---- worker side ----

  private served = 0;

  /**
   * Serves requests forever without blocking the worker's event loop: after
   * each burst it spins for `spinMicros`, then waits with Atomics.waitAsync.
   * `handle` must put its answer into `data` and return [kind, length].
   */
  serve(handle: (index: number, len: number) => [number, number], spinMicros: number): void {
    const ctrl = this.ctrl;
    const loop = (): void => {
      for (;;) {
        let seq = Atomics.load(ctrl, REQ);
        if (seq === this.served) {
          const until = performance.now() + spinMicros / 1000;
          // Spin: callers often make calls back to back.
          while (seq === this.served && performance.now() < until) seq = Atomics.load(ctrl, REQ);
          if (seq === this.served) break;
        }
        this.served = seq;
        const [kind, len] = handle(ctrl[KIND]!, ctrl[LEN]!);
        ctrl[KIND] = kind;
        ctrl[LEN] = len;
        Atomics.store(ctrl, RESP, seq);
        Atomics.notify(ctrl, RESP);
      }
      const w = waitAsync(ctrl, REQ, this.served);
      if (w.async) void (w.value as Promise<string>).then(loop);
      else queueMicrotask(loop);
    };
    loop();
  }
}
