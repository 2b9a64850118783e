/**
 * Rust's glue for native server plugins: the cdylib speaks the C ABI of
 * docs/abi.md, run in a worker thread by runtime/native like Go's.
 */
import type { NativeModuleLoader } from "../../../runtime/abi/host-types.js";
import { startNativeHost } from "../../../runtime/native/native-host.js";

const loader: NativeModuleLoader = { load: (req) => startNativeHost(req) };
export default loader;
