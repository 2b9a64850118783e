/**
 * Frames of the process host's channel (layout in child-wire-types.ts), and
 * a reader that cuts a byte stream into them.
 */

/** parent → child: u32 JSON length, ChildLoad JSON, then the module bytes (if any). */
export const K_LOAD = 1;
/** parent → child: u32 fragment index, encoded arguments. */
export const K_CALL = 2;
/** child → parent: the module is loaded (sent on every channel). */
export const K_READY = 3;
/** child → parent: the module did not load; ChildError JSON. */
export const K_FATAL = 4;
/** child → parent: a docs/abi.md result frame. */
export const K_RESULT = 5;
/** child → parent: the call failed before or outside its result frame; ChildError JSON. */
export const K_ERROR = 6;
/** child → parent: what the call printed (CallOutput JSON); comes before its RESULT or ERROR. */
export const K_OUTPUT = 7;

export const HEAD_BYTES = 9;

/** Writes a frame header at `at` for a payload of `payloadLen` bytes. */
export function writeHead(dv: DataView, at: number, kind: number, cid: number, payloadLen: number): void {
  dv.setUint32(at, payloadLen + 5, true);
  dv.setUint8(at + 4, kind);
  dv.setUint32(at + 5, cid, true);
}

export function frame(kind: number, cid: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(HEAD_BYTES + payload.length);
  writeHead(new DataView(out.buffer), 0, kind, cid, payload.length);
  out.set(payload, HEAD_BYTES);
  return out;
}

export function jsonFrame(kind: number, cid: number, value: unknown): Uint8Array {
  return frame(kind, cid, new TextEncoder().encode(JSON.stringify(value)));
}

export interface Frame {
  kind: number;
  cid: number;
  payload: Uint8Array;
}

/** Collects bytes as they arrive and hands out whole frames. */
export class FrameReader {
  private buf = new Uint8Array(64 * 1024);
  private start = 0;
  private end = 0;

  /** Room to read into directly (then call `wrote`). */
  space(min = 64 * 1024): Uint8Array {
    if (this.start === this.end) this.start = this.end = 0;
    if (this.buf.length - this.end < min) {
      const used = this.end - this.start;
      if (this.buf.length - used >= min) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.max(this.buf.length * 2, used + min));
        next.set(this.buf.subarray(this.start, this.end));
        this.buf = next;
      }
      this.start = 0;
      this.end = used;
    }
    return this.buf.subarray(this.end);
  }

  wrote(n: number): void {
    this.end += n;
  }

  push(bytes: Uint8Array): void {
    this.space(bytes.length).set(bytes);
    this.wrote(bytes.length);
  }

  /** The next whole frame, or null. Its payload is a copy (the buffer is reused). */
  next(): Frame | null {
    const avail = this.end - this.start;
    if (avail < HEAD_BYTES) return null;
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset + this.start, avail);
    const len = dv.getUint32(0, true);
    if (avail < 4 + len) return null;
    const kind = dv.getUint8(4);
    const cid = dv.getUint32(5, true);
    const payload = this.buf.slice(this.start + HEAD_BYTES, this.start + 4 + len);
    this.start += 4 + len;
    return { kind, cid, payload };
  }
}
