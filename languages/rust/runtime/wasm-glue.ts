/**
 * Rust's glue for WASM modules: the generated crate follows docs/abi.md
 * (panics leave a frame, then trap), so the language-neutral instance is all
 * that is needed.
 */
export { default } from "../../../runtime/abi/dcm-wasm-instance.js";
