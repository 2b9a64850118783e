/** Hand encoding of dcm wire values (docs/abi.md), independent of runtime/abi/codec.ts. */
export class Wire {
  private readonly b: number[] = [];

  u8(v: number): this {
    this.b.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  u32(v: number): this {
    return this.u8(v)
      .u8(v >>> 8)
      .u8(v >>> 16)
      .u8(v >>> 24);
  }
  i64(v: bigint): this {
    const x = BigInt.asUintN(64, v);
    for (let i = 0n; i < 8n; i++) this.u8(Number((x >> (8n * i)) & 0xffn));
    return this;
  }
  f32(v: number): this {
    const dv = new DataView(new ArrayBuffer(4));
    dv.setFloat32(0, v, true);
    return this.raw(new Uint8Array(dv.buffer));
  }
  f64(v: number): this {
    const dv = new DataView(new ArrayBuffer(8));
    dv.setFloat64(0, v, true);
    return this.raw(new Uint8Array(dv.buffer));
  }
  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }
  str(s: string): this {
    const e = new TextEncoder().encode(s);
    return this.u32(e.length).raw(e);
  }
  bytes(b: ArrayLike<number>): this {
    return this.u32(b.length).raw(b);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.b.push(b[i]!);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.b);
  }
}

export const w = (): Wire => new Wire();

/** A result frame: status byte, then what fill writes. */
export function frame(status: number, fill: (x: Wire) => Wire = (x) => x): Uint8Array {
  return fill(w().u8(status)).done();
}

/** Lowercase hex with spaces, for readable assertion failures. */
export function hex(b: Uint8Array): string {
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");
}
