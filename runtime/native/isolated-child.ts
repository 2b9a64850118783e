/**
 * Entry of a plugin process (process-host.ts starts it): bounds its own
 * memory and core dumps with setrlimit before anything else is loaded, then
 * serves calls from a worker thread (isolated-worker.ts). Calls never run on
 * this thread: Go's runtime makes native calls on a process's main thread
 * cost ~140 µs (docs/abi.md). The process ends when the worker does, with
 * its exit code; whatever a fragment does to the process (exit, abort, a
 * crash) ends only this process.
 *
 * Environment: DCM_CHILD_PARENT_PID, DCM_CHILD_MEMORY_MB (0: no limit), DCM_CHILD_SYNC_FD (the
 * descriptor of the synchronous channel, when there is one). The channel for
 * async calls is descriptor 3.
 */
import { dieWithParent, RLIMIT_CORE, RLIMIT_DATA, setLimit } from "./libc.js";
import { siblingModule, spawnModuleWorker } from "./spawn-worker.js";

// A plugin stuck in a loop never reads the end of its channel: the kernel ends it with the thread that
// started it (a terminated executer worker, a host process that died), so no orphan keeps a core busy.
if (!dieWithParent(Number(process.env.DCM_CHILD_PARENT_PID))) process.exit(0);
const memoryMb = Number(process.env.DCM_CHILD_MEMORY_MB ?? "0");
setLimit(RLIMIT_CORE, 0n);
// RLIMIT_DATA counts writable private memory (heap, mmap'd arenas, thread stacks), not address
// space reserved without access, which V8 and Go reserve in gigabytes: RLIMIT_AS would stop Node starting.
// The limit is the fragments' budget plus room for Node and the plugin's runtime (their threads' stacks
// count: 8 MiB each), so that a small budget does not stop the process from starting threads.
const RUNTIME_ROOM_MB = 256;
if (memoryMb > 0 && !setLimit(RLIMIT_DATA, BigInt(memoryMb + RUNTIME_ROOM_MB) * 1024n * 1024n)) {
  process.stderr.write(`dcm plugin process: could not limit memory to ${memoryMb} MiB\n`);
  process.exit(71);
}

const syncFd = process.env.DCM_CHILD_SYNC_FD ? Number(process.env.DCM_CHILD_SYNC_FD) : null;
const worker = spawnModuleWorker(siblingModule("isolated-worker", import.meta.url), {
  workerData: { syncFd },
  // A fragment's unbounded JS allocation ends the worker (and this process), not the machine.
  ...(memoryMb > 0 ? { resourceLimits: { maxOldGenerationSizeMb: Math.max(64, Math.floor(memoryMb / 2)) } } : {}),
});
worker.on("error", (e) => {
  process.stderr.write(`dcm plugin process: ${e?.stack ?? String(e)}\n`);
  process.exit(70);
});
worker.on("exit", (code) => process.exit(code));
