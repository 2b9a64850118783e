/**
 * Archive bytes written by hand, for tests that need what no packer writes on purpose: raw ustar
 * headers (any name bytes, any type, links anywhere, PAX records), and zips with any name bytes,
 * Unix modes, flags, methods, declared sizes, and central-directory records that share one local
 * entry (overlapping-entry bombs). Valid archives are made with the real tools in the tests.
 */
import { deflateRawSync, gzipSync } from "node:zlib";

export interface TarItem {
  name: string | Buffer;
  /** ustar type flag: 0 file, 1 hard link, 2 symlink, 3 char, 4 block, 5 dir, 6 FIFO, … */
  type?: string;
  data?: Buffer | string;
  mode?: number;
  linkname?: string;
  /** PAX records put in an `x` header before the entry (path=, linkpath=, …). */
  pax?: Record<string, string>;
  /** Size written in the header, when it must differ from the data's. */
  size?: number;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, "0")}\0`;
}

/** One 512-byte ustar header with a valid checksum. */
export function tarHeader(name: Buffer, type: string, size: number, mode: number, linkname = ""): Buffer {
  const h = Buffer.alloc(512);
  name.copy(h, 0, 0, Math.min(100, name.length));
  h.write(octal(mode, 8), 100, "latin1");
  h.write(octal(0, 8), 108, "latin1");
  h.write(octal(0, 8), 116, "latin1");
  h.write(octal(size, 12), 124, "latin1");
  h.write(octal(0, 12), 136, "latin1");
  h.write(type, 156, "latin1");
  Buffer.from(linkname).copy(h, 157, 0, 100);
  h.write("ustar\0", 257, "latin1");
  h.write("00", 263, "latin1");
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  return h;
}

function pad(b: Buffer): Buffer {
  const rest = b.length % 512;
  return rest ? Buffer.concat([b, Buffer.alloc(512 - rest)]) : b;
}

function paxBody(records: Record<string, string>): Buffer {
  const lines = Object.entries(records).map(([k, v]) => {
    const body = ` ${k}=${v}\n`;
    let len = Buffer.byteLength(body) + 1;
    while (String(len).length + Buffer.byteLength(body) !== len) len++;
    return `${len}${body}`;
  });
  return Buffer.from(lines.join(""));
}

/** The tar bytes of the items (no compression), with the two zero end blocks. */
export function tarBytes(items: TarItem[], { end = true } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const it of items) {
    const name = typeof it.name === "string" ? Buffer.from(it.name) : it.name;
    const data = it.data === undefined ? Buffer.alloc(0) : Buffer.from(it.data);
    const type = it.type ?? "0";
    const pax = { ...(it.pax ?? {}) };
    if (name.length > 100 && typeof it.name === "string" && pax.path === undefined) pax.path = it.name;
    if (Object.keys(pax).length) {
      const body = paxBody(pax);
      parts.push(tarHeader(Buffer.from("PaxHeader"), "x", body.length, 0o644), pad(body));
    }
    parts.push(
      tarHeader(name, type, it.size ?? data.length, it.mode ?? (type === "5" ? 0o755 : 0o644), it.linkname ?? ""),
      pad(data),
    );
  }
  if (end) parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function tarGz(items: TarItem[]): Buffer {
  return gzipSync(tarBytes(items));
}

export interface ZipItem {
  name: string | Buffer;
  data?: Buffer | string;
  /** Unix mode (with file type bits) in the external attributes; made by Unix when given. */
  mode?: number;
  /** General purpose flags (bit 0: encrypted, bit 11: UTF-8). */
  flags?: number;
  /** 0 stored, 8 deflate (default), or any other number (written as stored bytes). */
  method?: number;
  /** CRC-32 written in the headers, when it must lie. */
  crc?: number;
  /** Uncompressed size declared in the headers, when it must lie. */
  declaredSize?: number;
  /** MS-DOS attributes (0x10: folder) in the external attributes, for a zip made on Windows (no `mode`). */
  dosAttributes?: number;
  /** Central-directory records pointing at this item's local entry, under these extra names. */
  aliases?: string[];
}

/** A zip of the items, written byte by byte (CRC-32 included). */
export function zipBytes(items: ZipItem[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  let count = 0;
  for (const it of items) {
    const name = typeof it.name === "string" ? Buffer.from(it.name) : it.name;
    const data = it.data === undefined ? Buffer.alloc(0) : Buffer.from(it.data);
    const method = it.method ?? 8;
    const stored = method === 8 ? deflateRawSync(data) : data;
    const crc = it.crc ?? crc32(data);
    const size = it.declaredSize ?? data.length;
    const flags = it.flags ?? 0x800;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const localOffset = offset;
    locals.push(local, name, stored);
    offset += local.length + name.length + stored.length;
    for (const cname of [name, ...(it.aliases ?? []).map((a) => Buffer.from(a))]) {
      const c = Buffer.alloc(46);
      c.writeUInt32LE(0x02014b50, 0);
      c.writeUInt16LE(it.mode === undefined ? 20 : (3 << 8) | 20, 4);
      c.writeUInt16LE(20, 6);
      c.writeUInt16LE(flags, 8);
      c.writeUInt16LE(method, 10);
      c.writeUInt32LE(crc, 16);
      c.writeUInt32LE(stored.length, 20);
      c.writeUInt32LE(size, 24);
      c.writeUInt16LE(cname.length, 28);
      c.writeUInt32LE(it.mode === undefined ? (it.dosAttributes ?? 0) : (it.mode << 16) >>> 0, 38);
      c.writeUInt32LE(localOffset, 42);
      central.push(c, cname);
      count++;
    }
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(count, 8);
  eocd.writeUInt16LE(count, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const byte of b) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
