/** The plain-JS SHA-256 (runtime/abi/sha256.ts, for pages without crypto.subtle) gives node:crypto's digest. */
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256HexSync } from "../../../runtime/abi/sha256.js";
import { fuzz } from "../../fuzz/fuzz-config.js";

const node = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

describe("sha256HexSync", () => {
  it("matches node:crypto at every padding boundary and on random inputs", () => {
    for (const n of [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000]) {
      const b = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 255);
      expect(sha256HexSync(b), `length ${n}`).toBe(node(b));
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => sha256HexSync(b) === node(b)),
      fuzz(200),
    );
  });
});
