/**
 * The toolchains of this machine that dcm's container image carries, at the
 * same absolute paths (docker/Containerfile.toolchains): Go's GOROOT, the
 * rustup toolchain cargo runs with cargo's bin folder (rustup's proxies,
 * wasm-bindgen) and rustup's settings, and the Node.js that runs dcm (asc
 * runs in it). Each comes with a fingerprint (versions, and the names, sizes
 * and times of its executables) that goes into the image's tag, so the image
 * is rebuilt when a toolchain changes.
 *
 * Known limitations: a toolchain spread over system folders (Debian's rustc
 * in /usr/bin, sysroot /usr) is not copied (the image has its own /usr); Go and
 * rustup's Rust are found where the language adapters look first (PATH, then
 * /usr/local/go/bin; ~/.cargo/bin); DCM_CARGO is not followed.
 */
import { existsSync, readdirSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { runProcess, which } from "../local-driver.js";
import { SYSTEM } from "../sandbox.js";

/** One build context of the image: a host folder copied to `target` (an ARG of the Containerfile). */
export interface ImageRoot {
  /** The Containerfile's build-context name. */
  context: string;
  /** The ARG that says where it goes, and the value. */
  arg?: { name: string; value: string };
  /** The host folder copied (absent: an empty folder). */
  source?: string;
  /** Files to copy into a small context of their own (rustup's settings, node). */
  files?: string[];
  /** Folders to create in that small context, with the files of the host folder of the same name. */
  folders?: string[];
  /** Where it lands in the image: a step's input at or below it is not mounted (the image has it). */
  target?: string;
  /** Inputs the image stands for as a whole (RUSTUP_HOME, the sysroot): not mounted either. */
  covers?: string[];
  fingerprint: string;
}

const probe = async (cmd: string, args: string[], env: Record<string, string> = {}) => {
  const r = await runProcess(cmd, args, { cwd: process.cwd(), env: { ...process.env, ...env }, timeoutMs: 60_000 });
  return r.ok ? r.stdout.trim() : "";
};

/** Names, sizes and modification times of a folder's files: a cheap identity of a toolchain's executables. */
function listing(dir: string): string {
  try {
    return readdirSync(dir)
      .sort()
      .map((n) => {
        try {
          const s = statSync(join(dir, n));
          return `${n}:${s.size}:${Math.round(s.mtimeMs)}`;
        } catch {
          return n;
        }
      })
      .join(",");
  } catch {
    return "";
  }
}

/** A folder the image cannot take from the host as a whole: the image has its own /usr, /usr/bin… */
const tooBroad = (p: string) => SYSTEM.includes(p) || ["/usr/bin", "/usr/sbin", "/usr/lib", "/usr/local", "/usr/local/bin", "/usr/local/lib"].includes(p);

export async function toolchainRoots(): Promise<ImageRoot[]> {
  const roots: ImageRoot[] = [];
  const absent = (context: string) => ({ context, fingerprint: "absent" });

  // Go: GOROOT as `go env` says (GOTOOLCHAIN=local: never a downloaded toolchain).
  const go = (await which("go")) ?? (await which("/usr/local/go/bin/go"));
  const goroot = go ? await probe(go, ["env", "GOROOT"], { GOTOOLCHAIN: "local" }) : "";
  if (go && goroot && !tooBroad(goroot)) {
    const version = await probe(go, ["version"], { GOTOOLCHAIN: "local" });
    roots.push({ context: "go", arg: { name: "GOROOT", value: goroot }, source: goroot, target: goroot, fingerprint: `${version} ${listing(join(goroot, "bin"))}` });
  } else roots.push(absent("go"));

  // Rust: rustup's toolchain (the sysroot of the rustc beside ~/.cargo/bin/cargo), without share/ (documentation).
  const cargoHome = process.env.CARGO_HOME ?? join(homedir(), ".cargo");
  const rustupHome = process.env.RUSTUP_HOME ?? join(homedir(), ".rustup");
  const cargo = (await which(join(cargoHome, "bin", "cargo"))) ?? (await which("cargo"));
  const rustc = cargo ? join(dirname(cargo), "rustc") : "";
  const sysroot = rustc && existsSync(rustc) ? await probe(rustc, ["--print", "sysroot"]) : "";
  if (cargo && sysroot && !tooBroad(sysroot) && !tooBroad(dirname(cargo))) {
    const version = await probe(rustc, ["--version"]);
    const targets = listing(join(sysroot, "lib", "rustlib"));
    const real = realpathSync(sysroot);
    for (const part of ["bin", "lib", "libexec"]) {
      const source = join(real, part);
      roots.push(
        existsSync(source)
          ? { context: `rust-${part}`, source, target: join(sysroot, part), fingerprint: part === "lib" ? `${version} ${targets}` : listing(source) }
          : absent(`rust-${part}`),
      );
    }
    roots[roots.length - 3]!.arg = { name: "RUST_SYSROOT", value: sysroot };
    roots[roots.length - 3]!.covers = [sysroot, real];
    const bin = dirname(cargo);
    roots.push({ context: "cargo-bin", arg: { name: "CARGO_BIN", value: bin }, source: bin, target: bin, fingerprint: listing(bin) });
    // rustup's proxies read settings.toml (the default toolchain) and need update-hashes/ to exist.
    roots.push({
      context: "rustup",
      arg: { name: "RUSTUP_HOME", value: rustupHome },
      files: [join(rustupHome, "settings.toml")].filter(existsSync),
      folders: [join(rustupHome, "update-hashes")],
      covers: [rustupHome],
      fingerprint: listing(rustupHome),
    });
  } else for (const c of ["rust-bin", "rust-lib", "rust-libexec", "cargo-bin", "rustup"]) roots.push(absent(c));

  // Node.js: the one running dcm (asc runs as `node asc.js`); its folder may be /usr/bin, so only the binary.
  const node = process.execPath;
  roots.push({
    context: "node",
    arg: { name: "NODE_DIR", value: dirname(node) },
    files: [node],
    target: node,
    fingerprint: `${process.version} ${listing(dirname(node)).split(",").find((e) => e.startsWith("node:")) ?? ""}`,
  });
  return roots;
}
