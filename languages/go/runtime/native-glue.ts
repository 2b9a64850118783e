/**
 * Go's glue for native server plugins: the plugin runs in a worker thread
 * (runtime/native), so calls are asynchronous.
 */
import type { NativeModuleLoader } from "../../../runtime/abi/host-types.js";
import { startNativeHost } from "../../../runtime/native/native-host.js";

const loader: NativeModuleLoader = { load: (req) => startNativeHost(req) };
export default loader;
