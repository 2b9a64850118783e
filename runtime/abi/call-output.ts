/**
 * Capturing what a fragment prints, per call (docs/abi.md, "Output"), and
 * showing it. Browser-safe.
 *
 * - OutputCapture collects one instance's writes between two take() calls;
 *   hosts take after every call, so a capture holds exactly one call's
 *   output. It keeps at most OUTPUT_LIMIT_BYTES of UTF-8 per call and
 *   counts the rest as dropped.
 * - readOutputFrame decodes the output frame a module hands over through
 *   its optional `dcm_take_output` export.
 * - outputLines / outputPrinter turn a call's output into prefixed lines.
 */
import type { CallOutput, FragmentOutput, OutputHandler, OutputStream } from "./output-types.js";

/** Bytes of UTF-8 kept per call; the rest is dropped and counted. */
export const OUTPUT_LIMIT_BYTES = 64 * 1024;

/** Record kinds of an output frame. */
export const OUTPUT_STDOUT = 1;
export const OUTPUT_STDERR = 2;
export const OUTPUT_DROPPED = 3;

/** UTF-8 length of a JS string without encoding it (lone surrogates count 3, as TextEncoder writes U+FFFD). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** The longest prefix of `s` whose UTF-8 fits in `bytes` (never splits a surrogate pair). */
function clipText(s: string, bytes: number): string {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const w = c < 0x80 ? 1 : c < 0x800 ? 2 : pair ? 4 : 3;
    if (n + w > bytes) return s.slice(0, i);
    n += w;
    if (pair) i++;
  }
  return s;
}

export class OutputCapture {
  /** True once something was written since the last take(): hosts check it before taking. */
  pending = false;
  private chunks: Array<{ stream: OutputStream; text: string }> = [];
  private used = 0;
  private dropped = 0;
  private decoders: [TextDecoder, TextDecoder] | null = null;

  constructor(private readonly limit = OUTPUT_LIMIT_BYTES) {}

  /** Adds text written to `stream`. */
  text(stream: OutputStream, text: string): void {
    if (text === "") return;
    this.pending = true;
    const room = this.limit - this.used;
    if (room <= 0) {
      this.dropped += utf8Length(text);
      return;
    }
    const n = utf8Length(text);
    if (n <= room) {
      this.push(stream, text);
      this.used += n;
      return;
    }
    const kept = clipText(text, room);
    const keptBytes = utf8Length(kept);
    this.push(stream, kept);
    this.used += keptBytes;
    this.dropped += n - keptBytes;
  }

  /** Adds UTF-8 bytes written to `stream` (a sequence split across writes is joined). */
  bytes(stream: OutputStream, bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pending = true;
    const room = this.limit - this.used;
    let keep = bytes;
    if (bytes.length > room) {
      keep = bytes.subarray(0, Math.max(0, room));
      this.dropped += bytes.length - keep.length;
    }
    if (keep.length === 0) return;
    this.used += keep.length;
    this.decoders ??= [new TextDecoder(), new TextDecoder()];
    const text = this.decoders[stream === "stdout" ? 0 : 1].decode(keep, { stream: true });
    if (text) this.push(stream, text);
  }

  /** Counts bytes a module dropped before handing its output over. */
  droppedBytes(n: number): void {
    if (n <= 0) return;
    this.pending = true;
    this.dropped += n;
  }

  private push(stream: OutputStream, text: string): void {
    const last = this.chunks[this.chunks.length - 1];
    if (last && last.stream === stream) last.text += text;
    else this.chunks.push({ stream, text });
  }

  /** Returns and clears what was written since the last take; null when nothing was. */
  take(): CallOutput | null {
    if (!this.pending) return null;
    if (this.decoders) {
      // A call's output ends with the call: a sequence cut at its end becomes U+FFFD here, not in the next call.
      const [o, e] = this.decoders;
      const tailOut = o.decode();
      const tailErr = e.decode();
      if (tailOut) this.push("stdout", tailOut);
      if (tailErr) this.push("stderr", tailErr);
    }
    const out: CallOutput = { chunks: this.chunks, dropped: this.dropped };
    this.chunks = [];
    this.used = 0;
    this.dropped = 0;
    this.pending = false;
    return out.chunks.length > 0 || out.dropped > 0 ? out : null;
  }
}

/**
 * Reads an output frame (docs/abi.md, "Output") into `capture`: records of
 * u8 kind (1 stdout, 2 stderr, 3 dropped), u32 n, then n bytes of UTF-8 for
 * kinds 1 and 2 (kind 3 has no payload: n is the number of bytes dropped).
 * A malformed frame ends the reading; what was read so far is kept.
 */
export function readOutputFrame(frame: Uint8Array, capture: OutputCapture): void {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  let p = 0;
  while (p + 5 <= frame.length) {
    const kind = frame[p]!;
    const n = dv.getUint32(p + 1, true);
    p += 5;
    if (kind === OUTPUT_DROPPED) {
      capture.droppedBytes(n);
      continue;
    }
    if ((kind !== OUTPUT_STDOUT && kind !== OUTPUT_STDERR) || p + n > frame.length) return;
    capture.bytes(kind === OUTPUT_STDOUT ? "stdout" : "stderr", frame.subarray(p, p + n));
    p += n;
  }
}

export interface OutputLine {
  stream: OutputStream;
  line: string;
}

/** A call's output as whole lines (a last line without a newline counts as one), then a note about dropped bytes. */
export function outputLines(output: CallOutput): OutputLine[] {
  const lines: OutputLine[] = [];
  for (const c of output.chunks) {
    const parts = c.text.split("\n");
    if (parts[parts.length - 1] === "") parts.pop();
    for (const p of parts) lines.push({ stream: c.stream, line: p.endsWith("\r") ? p.slice(0, -1) : p });
  }
  if (output.dropped > 0) {
    lines.push({
      stream: "stderr",
      line: `… ${output.dropped} bytes of output dropped (the limit is ${OUTPUT_LIMIT_BYTES} bytes per call)`,
    });
  }
  return lines;
}

/** `[fragment <id>] ` — the prefix every place that shows fragment output puts before each line. */
export function outputPrefix(o: Pick<FragmentOutput, "fragment" | "client">): string {
  return o.client === undefined ? `[fragment ${o.fragment}] ` : `[fragment ${o.fragment} client ${o.client}] `;
}

/** An OutputHandler that writes each line, prefixed, through `write` (both streams: the caller picks the sink). */
export function outputPrinter(write: (text: string) => void): OutputHandler {
  return (o) => {
    const prefix = outputPrefix(o);
    let text = "";
    for (const l of outputLines(o)) text += `${prefix}${l.line}\n`;
    if (text) write(text);
  };
}
