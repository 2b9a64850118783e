/**
 * Go's glue for WASM modules: Go's wasip1 reactors follow docs/abi.md, so the
 * language-neutral instance is all that is needed.
 */
export { default } from "../../../runtime/abi/dcm-wasm-instance.js";
