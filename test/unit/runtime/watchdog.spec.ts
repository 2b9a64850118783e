/**
 * The watchdog behind in-thread timeouts (runtime/node/watchdog.ts): it
 * stops a WebAssembly loop and a JavaScript loop in this very thread, and
 * passes results and errors of calls that end in time through unchanged.
 */
import { describe, expect, it } from "vitest";
import { Watchdog } from "../../../runtime/node/watchdog.js";

// (module (func (export "spin") (loop (br 0))))
const SPIN = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 8, 1, 4, 115, 112, 105, 110, 0, 0, 10, 9, 1, 7, 0, 3, 64,
  12, 0, 11, 11,
]);

describe("Watchdog", () => {
  it("stops a WASM loop that never ends", async () => {
    const { instance } = await WebAssembly.instantiate(SPIN);
    const w = new Watchdog();
    let err: unknown;
    try {
      w.run(() => (instance.exports.spin as () => void)(), 100);
    } catch (e) {
      err = e;
    }
    expect(Watchdog.timedOut(err)).toBe(true);
    // The thread is usable again afterwards.
    expect(w.run(() => 6 * 7, 100)).toBe(42);
  });

  it("stops a JS loop, and passes values and errors of calls that end in time", () => {
    const w = new Watchdog();
    let err: unknown;
    try {
      w.run(() => {
        for (;;) {}
      }, 50);
    } catch (e) {
      err = e;
    }
    expect(Watchdog.timedOut(err)).toBe(true);
    const boom = new RangeError("boom");
    expect(() =>
      w.run(() => {
        throw boom;
      }, 1000),
    ).toThrow(boom);
    expect(Watchdog.timedOut(boom)).toBe(false);
    expect(w.run(() => "ok", 1000)).toBe("ok");
  });
});
