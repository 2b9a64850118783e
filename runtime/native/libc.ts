/**
 * The few libc calls the process isolation needs and Node does not offer,
 * through koffi: socketpair (channels whose parent end stays a plain,
 * blocking file descriptor, so that callSync can block on it), poll (wait on
 * a descriptor with a time limit without an event loop), setrlimit (the
 * child bounds its own memory before it loads any plugin) and prctl (the
 * child dies with the thread that started it), and close: fs.closeSync of a
 * descriptor that fs did not open warns in worker threads ("closed but not
 * opened in unmanaged mode"), and these descriptors come from socketpair.
 *
 * Known limitations: Linux only (the constants are Linux's; glibc or musl).
 * Loaded lazily, so importing this file costs nothing until a call.
 */
import { createRequire } from "node:module";

type Koffi = typeof import("koffi");

interface Libc {
  socketpair(domain: number, type: number, protocol: number, sv: Int32Array): number;
  poll(fds: Int32Array, n: number, timeoutMs: number): number;
  setrlimit(resource: number, rlim: BigUint64Array): number;
  prctl(option: number, arg2: number, arg3: number, arg4: number, arg5: number): number;
  getppid(): number;
  close(fd: number): number;
}

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
export const RLIMIT_DATA = 2;
export const RLIMIT_CORE = 4;
const POLLIN = 1;

const NAMES = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"];

let libc: Libc | null = null;

function load(): Libc {
  if (libc) return libc;
  // koffi is CommonJS; require keeps this file free of top-level await.
  const koffi = createRequire(import.meta.url)("koffi") as Koffi;
  let lastError: unknown;
  for (const name of NAMES) {
    try {
      const lib = koffi.load(name);
      libc = {
        socketpair: lib.func("int socketpair(int, int, int, _Inout_ int32_t *sv)") as Libc["socketpair"],
        poll: lib.func("int poll(_Inout_ int32_t *fds, unsigned long n, int timeout)") as Libc["poll"],
        setrlimit: lib.func("int setrlimit(int, uint64_t *rlim)") as Libc["setrlimit"],
        prctl: lib.func("int prctl(int, unsigned long, unsigned long, unsigned long, unsigned long)") as Libc["prctl"],
        getppid: lib.func("int getppid(void)") as Libc["getppid"],
        close: lib.func("int close(int)") as Libc["close"],
      };
      return libc;
    } catch (e) {
      lastError = e;
    }
  }
  throw new Error(`process isolation needs Linux's libc: ${(lastError as Error)?.message}`);
}

/** A connected pair of Unix stream sockets, both blocking and closed on exec (pass one to a child through `stdio`). */
export function socketPair(): [number, number] {
  const sv = new Int32Array(2);
  if (load().socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) !== 0) throw new Error("socketpair failed");
  return [sv[0]!, sv[1]!];
}

/**
 * Waits until one of `fds` is readable (or closed), at most `timeoutMs`
 * (-1: no limit). Returns the readable ones (empty on timeout).
 */
export function pollReadable(fds: readonly number[], timeoutMs: number): number[] {
  const set = new Int32Array(fds.length * 2);
  fds.forEach((fd, i) => {
    set[i * 2] = fd;
    set[i * 2 + 1] = POLLIN; // events in the low half, revents (out) in the high half
  });
  const n = load().poll(set, fds.length, Math.max(-1, Math.floor(timeoutMs)));
  if (n <= 0) return [];
  return fds.filter((_, i) => set[i * 2 + 1]! >>> 16 !== 0);
}

/** Sets both the soft and the hard limit of `resource` (the hard one so that the child cannot raise it again). */
export function setLimit(resource: number, bytes: bigint): boolean {
  return load().setrlimit(resource, new BigUint64Array([bytes, bytes])) === 0;
}

const PR_SET_PDEATHSIG = 1;
const SIGKILL = 9;

/**
 * This process gets SIGKILL when the thread that started it ends (a worker
 * thread terminated, or the parent process gone). False when the parent is
 * already gone (`expectedParent` is no longer the parent).
 */
export function dieWithParent(expectedParent: number): boolean {
  const c = load();
  c.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  return c.getppid() === expectedParent;
}

/** Closes a descriptor that socketpair made (true when it was open). */
export function closeFd(fd: number): boolean {
  return load().close(fd) === 0;
}
