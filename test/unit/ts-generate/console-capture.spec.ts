/**
 * The console a TypeScript module's fragments print through
 * (languages/typescript/templates/dcm-console.mjs): stdout vs stderr as
 * Node's console, util.format-like text, the 64 KiB limit per take, and the
 * host's own console left alone.
 */
import { describe, expect, it, vi } from "vitest";
// @ts-expect-error: a plain ES module template without types
import { dcm_console, dcm_take_output } from "../../../languages/typescript/templates/dcm-console.mjs";

type Out = { chunks: Array<{ stream: string; text: string }>; dropped: number } | null;
const take = dcm_take_output as () => Out;
const con = dcm_console as Record<string, (...a: unknown[]) => void>;

describe("dcm-console", () => {
  it("sends log/info/debug to stdout and warn/error/trace/assert to stderr, never to the real console", () => {
    const real = vi.spyOn(console, "log");
    take();
    con.log("a", 1, true);
    con.error("bad");
    con.info("%s is %d years", "Ada", 36);
    con.assert(false, "x");
    con.assert(true, "y");
    expect(take()).toEqual({
      chunks: [
        { stream: "stdout", text: "a 1 true\n" },
        { stream: "stderr", text: "bad\n" },
        { stream: "stdout", text: "Ada is 36 years\n" },
        { stream: "stderr", text: "Assertion failed: x\n" },
      ],
      dropped: 0,
    });
    expect(take()).toBeNull();
    expect(real).not.toHaveBeenCalled();
    real.mockRestore();
  });

  it("formats values as Node's console does for common cases", () => {
    con.log({ a: 1, "b-c": "x", d: [1, 2n], e: null });
    con.log(new Map([["k", 1]]), new Set([1]), -0, undefined);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    con.log(circular);
    con.group("g");
    con.log("inner");
    con.groupEnd();
    con.count();
    con.count();
    expect(take()!.chunks[0]!.text).toBe(
      "{ a: 1, \"b-c\": 'x', d: [ 1, 2n ], e: null }\nMap(1) { 'k' => 1 } Set(1) { 1 } -0 undefined\n{ self: [Circular] }\ng\n  inner\ndefault: 1\ndefault: 2\n",
    );
  });

  it("keeps 64 KiB per take and counts the rest", () => {
    for (let i = 0; i < 100; i++) con.log("x".repeat(1023));
    const out = take()!;
    expect(out.chunks[0]!.text.length).toBe(65536);
    expect(out.dropped).toBe(100 * 1024 - 65536);
    con.log("after");
    expect(take()).toEqual({ chunks: [{ stream: "stdout", text: "after\n" }], dropped: 0 });
  });
});
