/**
 * Byte-level writer and reader for the docs/abi.md wire format
 * (little-endian). Both are reused across calls: a call allocates nothing
 * here unless a buffer must grow.
 */
import { DecodeError } from "./value-errors.js";

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Below these lengths a JS loop beats the call overhead of TextEncoder.encodeInto / TextDecoder.decode (measured). */
const SHORT_ENCODE = 32;
const SHORT_DECODE = 16;

export class Writer {
  buf: Uint8Array;
  dv: DataView;
  pos = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
    this.dv = new DataView(this.buf.buffer);
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  /** The written bytes as a fresh copy. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  u8(v: number): void {
    if (this.pos >= this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
  }

  i16(v: number): void {
    this.ensure(2);
    this.dv.setInt16(this.pos, v, true);
    this.pos += 2;
  }

  i32(v: number): void {
    this.ensure(4);
    this.dv.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  u32(v: number): void {
    this.ensure(4);
    this.dv.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  /** A safe integer as 8 bytes two's complement, without going through BigInt. */
  i64n(v: number): void {
    this.ensure(8);
    const hi = Math.floor(v / 4294967296);
    this.dv.setUint32(this.pos, v >>> 0, true);
    this.dv.setInt32(this.pos + 4, hi, true);
    this.pos += 8;
  }

  i64(v: bigint): void {
    this.ensure(8);
    this.dv.setBigInt64(this.pos, v, true);
    this.pos += 8;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.dv.setBigUint64(this.pos, v, true);
    this.pos += 8;
  }

  f32(v: number): void {
    this.ensure(4);
    this.dv.setFloat32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.dv.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  raw(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** u32 byte length then UTF-8; lone surrogates become U+FFFD like TextEncoder. */
  str(s: string): void {
    const n = s.length;
    this.ensure(4 + n * 3);
    const start = this.pos + 4;
    let p = start;
    if (n > SHORT_ENCODE) {
      p += textEncoder.encodeInto(s, this.buf.subarray(start)).written;
    } else {
      const buf = this.buf;
      for (let i = 0; i < n; i++) {
        let c = s.charCodeAt(i);
        if (c < 0x80) {
          buf[p++] = c;
        } else if (c < 0x800) {
          buf[p++] = 0xc0 | (c >> 6);
          buf[p++] = 0x80 | (c & 63);
        } else if (c < 0xd800 || c >= 0xe000) {
          buf[p++] = 0xe0 | (c >> 12);
          buf[p++] = 0x80 | ((c >> 6) & 63);
          buf[p++] = 0x80 | (c & 63);
        } else {
          const d = i + 1 < n ? s.charCodeAt(i + 1) : 0;
          if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
            i++;
            c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
            buf[p++] = 0xf0 | (c >> 18);
            buf[p++] = 0x80 | ((c >> 12) & 63);
            buf[p++] = 0x80 | ((c >> 6) & 63);
            buf[p++] = 0x80 | (c & 63);
          } else {
            buf[p++] = 0xef;
            buf[p++] = 0xbf;
            buf[p++] = 0xbd;
          }
        }
      }
    }
    this.dv.setUint32(this.pos, p - start, true);
    this.pos = p;
  }
}

export class Reader {
  u8: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(this.u8.buffer);
  pos = 0;
  end = 0;
  /** Records being decoded around the current position (codec-decode.ts bounds it; a decode that throws leaves it, the next reset clears it). */
  depth = 0;

  /** Reads `len` bytes from `start`; `u8` and `dv` must view the same bytes at the same offsets. */
  reset(u8: Uint8Array, dv: DataView, start: number, len: number): this {
    this.u8 = u8;
    this.dv = dv;
    this.pos = start;
    this.end = start + len;
    this.depth = 0;
    return this;
  }

  /** Reads a standalone byte array (any offset). */
  from(bytes: Uint8Array): this {
    return this.reset(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), 0, bytes.byteLength);
  }

  need(n: number): void {
    if (this.pos + n > this.end) throw new DecodeError(`truncated: need ${n} bytes at offset ${this.pos}`);
  }

  u8v(): number {
    this.need(1);
    return this.u8[this.pos++]!;
  }

  i8(): number {
    this.need(1);
    return this.dv.getInt8(this.pos++);
  }

  i16(): number {
    this.need(2);
    const v = this.dv.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.dv.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  f32(): number {
    this.need(4);
    const v = this.dv.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A copy: the source may be a module's memory that the next call overwrites. */
  bytes(): Uint8Array {
    const n = this.u32();
    this.need(n);
    const b = this.u8.slice(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  str(): string {
    const n = this.u32();
    this.need(n);
    const u8 = this.u8;
    const p = this.pos;
    this.pos = p + n;
    if (n <= SHORT_DECODE) {
      let s = "";
      let i = 0;
      for (; i < n; i++) {
        const c = u8[p + i]!;
        if (c >= 0x80) break;
        s += String.fromCharCode(c);
      }
      if (i === n) return s;
    }
    return textDecoder.decode(u8.subarray(p, p + n));
  }
}
