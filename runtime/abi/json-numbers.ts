/**
 * Exact conversions between JSON number text and the value model's numbers:
 * integers of any size, float32 without double rounding, shortest float32
 * output, and base64 for bytes (no Buffer, so this runs in browsers).
 */

const NUM = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

/** The integer a JSON number text denotes, or null when it is not an integer. Huge exponents give null too. */
export function decimalToBigInt(text: string): bigint | null {
  const m = NUM.exec(text);
  if (!m) return null;
  const [, sign, int, frac = "", expText = "0"] = m;
  let digits = (int! + frac).replace(/^0+(?=\d)/, "");
  let exp = Number(expText) - frac.length;
  if (/^0+$/.test(digits)) return 0n;
  if (exp < 0) {
    const tail = digits.slice(exp);
    if (-exp > digits.length || !/^0+$/.test(tail)) return null;
    digits = digits.slice(0, exp);
    exp = 0;
  }
  if (exp + digits.length > 400) return null;
  const v = BigInt(digits) * 10n ** BigInt(exp);
  return sign === "-" ? -v : v;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 next to `f` (a finite float32) towards `towards`. */
function nextFloat32(f: number, towards: number): number {
  if (f === 0) {
    u32[0] = 1;
    return towards > 0 ? f32[0]! : -f32[0]!;
  }
  f32[0] = f;
  u32[0] = u32[0]! + (towards > f === f > 0 ? 1 : -1);
  return f32[0]!;
}

/** Sign of (decimal text − double d), computed exactly. */
function compareDecimalToDouble(text: string, d: number): number {
  const m = NUM.exec(text)!;
  const neg = m[1] === "-";
  const frac = m[3] ?? "";
  const e10 = Number(m[4] ?? "0") - frac.length;
  const dec = BigInt(m[2]! + frac);
  const dv = new DataView(new ArrayBuffer(8));
  dv.setFloat64(0, Math.abs(d));
  const bits = dv.getBigUint64(0);
  const bexp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  const e2 = bexp === 0 ? -1074 : bexp - 1075;
  if (bexp !== 0) mant |= 1n << 52n;
  let left = dec;
  let right = mant;
  if (e10 >= 0) left *= 10n ** BigInt(e10);
  else right *= 10n ** BigInt(-e10);
  if (e2 >= 0) right <<= BigInt(e2);
  else left <<= BigInt(-e2);
  const c = left < right ? -1 : left > right ? 1 : 0;
  return neg ? -c : c;
}

/** The float32 nearest to a JSON number text (ties to even), without double rounding. */
export function parseFloat32(text: string): number {
  const d = Number(text);
  const f = Math.fround(d);
  if (f === d || !Number.isFinite(f)) return f;
  // Rounding first to double then to float32 can only go wrong when the double lands exactly halfway.
  const g = nextFloat32(f, d);
  if ((f + g) / 2 !== d) return f;
  const c = compareDecimalToDouble(text, d);
  if (c === 0) return f;
  return c > 0 ? Math.max(f, g) : Math.min(f, g);
}

/** The shortest decimal that reads back as the same float32, in JS number syntax. */
export function formatFloat32(v: number): string {
  const f = Math.fround(v);
  if (!Number.isFinite(f) || f === 0) return String(f);
  for (let p = 1; p < 9; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(Number(f.toPrecision(9)));
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

const B64_CODES = Uint8Array.from(B64, (c) => c.charCodeAt(0));
const ASCII = new TextDecoder();

/** Standard base64 with padding. Written as ASCII bytes and decoded once: large values (a group's state) make no garbage per character. */
export function toBase64(b: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(b.length / 3) * 4);
  let i = 0;
  let o = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out[o++] = B64_CODES[n >> 18]!;
    out[o++] = B64_CODES[(n >> 12) & 63]!;
    out[o++] = B64_CODES[(n >> 6) & 63]!;
    out[o++] = B64_CODES[n & 63]!;
  }
  if (i < b.length) {
    const n = (b[i]! << 16) | ((b[i + 1] ?? 0) << 8);
    out[o++] = B64_CODES[n >> 18]!;
    out[o++] = B64_CODES[(n >> 12) & 63]!;
    out[o++] = i + 1 < b.length ? B64_CODES[(n >> 6) & 63]! : 61;
    out[o++] = 61;
  }
  return ASCII.decode(out);
}

/** Standard base64; padding may be left out. Returns null for anything else. */
export function fromBase64(s: string): Uint8Array | null {
  const body = s.endsWith("==") ? s.slice(0, -2) : s.endsWith("=") ? s.slice(0, -1) : s;
  const n = body.length;
  if (n % 4 === 1 || (n !== s.length && s.length % 4 !== 0)) return null;
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  const idx = (i: number): number => {
    const c = body.charCodeAt(i);
    return c < 128 ? B64_INDEX[c]! : -1;
  };
  let o = 0;
  let i = 0;
  // Whole groups of four characters, then the 2 or 3 of an unpadded end.
  for (; i + 3 < n; i += 4) {
    const a = idx(i);
    const b = idx(i + 1);
    const c = idx(i + 2);
    const d = idx(i + 3);
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  if (i < n) {
    const a = idx(i);
    const b = idx(i + 1);
    const c = i + 2 < n ? idx(i + 2) : 0;
    if ((a | b | c) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >> 16;
    if (i + 2 < n) out[o++] = (v >> 8) & 0xff;
  }
  return out;
}
