/**
 * AssemblyScript's glue for WASM modules: the generated module follows
 * docs/abi.md (its abort writes a result frame before it traps), so the
 * language-neutral instance is all that is needed. A trap leaves the instance
 * dead (`isDead()`); every host then loads a fresh one for the next call, so
 * module-level state starts over after a `throw`.
 */
export { default } from "../../../runtime/abi/dcm-wasm-instance.js";
