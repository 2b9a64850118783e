/**
 * The runtime glue of native plugins that follow docs/abi.md (the C ABI):
 * the default of every language that builds a `native` target and names no
 * glue of its own (src/languages/runtime-glue.ts). The plugin runs in a
 * worker thread (native-host.ts), so calls are asynchronous.
 */
import type { NativeModuleLoader } from "../abi/host-types.js";
import { startNativeHost } from "./native-host.js";

const loader: NativeModuleLoader = { load: (req) => startNativeHost(req) };
export default loader;
