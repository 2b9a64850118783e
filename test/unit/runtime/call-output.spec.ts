/**
 * Per-call output capture (runtime/abi/call-output.ts): the 64 KiB limit
 * counted in UTF-8 bytes, never splitting a character of JS text, decoding
 * bytes split across writes, and the prefixed lines every host prints.
 */
import { describe, expect, it } from "vitest";
import {
  OUTPUT_LIMIT_BYTES,
  OutputCapture,
  outputLines,
  outputPrinter,
  utf8Length,
} from "../../../runtime/abi/call-output.js";

describe("OutputCapture", () => {
  it("merges consecutive writes to one stream and keeps the order between streams", () => {
    const c = new OutputCapture();
    c.text("stdout", "a");
    c.text("stdout", "b\n");
    c.text("stderr", "e\n");
    c.text("stdout", "c");
    expect(c.take()).toEqual({
      chunks: [
        { stream: "stdout", text: "ab\n" },
        { stream: "stderr", text: "e\n" },
        { stream: "stdout", text: "c" },
      ],
      dropped: 0,
    });
    expect(c.take()).toBeNull();
    expect(c.pending).toBe(false);
  });

  it("keeps the limit in UTF-8 bytes and counts what it drops, without cutting a character", () => {
    const c = new OutputCapture(10);
    c.text("stdout", "héllo"); // 6 bytes
    c.text("stderr", "😀😀"); // 8 bytes: one fits
    c.text("stdout", "more");
    const out = c.take()!;
    expect(out.chunks).toEqual([
      { stream: "stdout", text: "héllo" },
      { stream: "stderr", text: "😀" },
    ]);
    expect(out.dropped).toBe(4 + 4);
    expect(utf8Length("héllo😀")).toBe(10);
  });

  it("decodes UTF-8 split across writes, and ends a call's cut character as U+FFFD", () => {
    const c = new OutputCapture();
    const e = new TextEncoder().encode("é");
    c.bytes("stdout", e.subarray(0, 1));
    c.bytes("stdout", e.subarray(1));
    c.bytes("stderr", e.subarray(0, 1));
    expect(c.take()).toEqual({
      chunks: [
        { stream: "stdout", text: "é" },
        { stream: "stderr", text: "\ufffd" },
      ],
      dropped: 0,
    });
    c.bytes("stdout", new TextEncoder().encode("next"));
    expect(c.take()?.chunks).toEqual([{ stream: "stdout", text: "next" }]);
  });

  it("allows 64 KiB per call", () => {
    const c = new OutputCapture();
    c.bytes("stdout", new Uint8Array(OUTPUT_LIMIT_BYTES + 100).fill(0x61));
    const out = c.take()!;
    expect(out.chunks[0]!.text.length).toBe(65536);
    expect(out.dropped).toBe(100);
    expect(OUTPUT_LIMIT_BYTES).toBe(65536);
  });
});

describe("outputLines and outputPrinter", () => {
  it("prefix every line with the fragment id (and the client on the server) and note dropped bytes", () => {
    const output = {
      chunks: [
        { stream: "stdout" as const, text: "one\ntwo\r\n" },
        { stream: "stderr" as const, text: "no newline" },
      ],
      dropped: 12,
    };
    expect(outputLines(output)).toEqual([
      { stream: "stdout", line: "one" },
      { stream: "stdout", line: "two" },
      { stream: "stderr", line: "no newline" },
      { stream: "stderr", line: "… 12 bytes of output dropped (the limit is 65536 bytes per call)" },
    ]);
    let text = "";
    outputPrinter((t) => (text += t))({ fragment: "div", ...output });
    expect(text.split("\n")[0]).toBe("[fragment div] one");
    expect(text.endsWith("\n")).toBe(true);
    text = "";
    outputPrinter((t) => (text += t))({ fragment: "div", client: "c1", chunks: [{ stream: "stdout", text: "x\n" }], dropped: 0 });
    expect(text).toBe("[fragment div client c1] x\n");
  });
});
