/**
 * Just enough of Cargo.toml for dcm: the package name, version and edition,
 * `[lib] path`, and the `[dependencies]` tables (kept verbatim for the
 * generated crate, with relative `path = "…"` made absolute).
 *
 * Known limitations: a line-based reader, not a TOML parser. Multi-line
 * inline tables, `workspace = true` inheritance and
 * `[target.'cfg(…)'.dependencies]` are not understood (the latter are dropped).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, posix, resolve } from "node:path";

export interface CargoManifest {
  /** Repo-relative folder of Cargo.toml ("" at the root). */
  dir: string;
  name: string;
  version: string;
  edition: string;
  libPath?: string;
  /** `[dependencies]` names. */
  deps: string[];
  /** The `[dependencies]` and `[dependencies.<name>]` tables as TOML text, path dependencies absolute. */
  depsToml: string;
  /** `workspace = true` somewhere in the package: cannot be built outside its workspace. */
  inheritsWorkspace: boolean;
}

const SECTION = /^\s*\[\s*([^\]]+?)\s*\]\s*(#.*)?$/;
const KEY = /^\s*([A-Za-z0-9_.\-"']+)\s*=\s*(.*)$/;

function unquote(v: string): string {
  const m = /^\s*"([^"]*)"|^\s*'([^']*)'/.exec(v);
  return m ? (m[1] ?? m[2] ?? "") : v.trim();
}

export function parseCargoToml(text: string, absDir: string, repoRelDir: string): CargoManifest {
  const out: CargoManifest = {
    dir: repoRelDir,
    name: "",
    version: "0.0.0",
    edition: "2015",
    deps: [],
    depsToml: "",
    inheritsWorkspace: false,
  };
  let section = "";
  const depLines: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const s = SECTION.exec(raw);
    if (s && !raw.trim().startsWith("[[")) {
      section = s[1]!.replace(/\s+/g, "");
      if (section.startsWith("dependencies.")) {
        out.deps.push(section.slice("dependencies.".length).replace(/"/g, ""));
        depLines.push(`[${section}]`);
      } else if (section === "dependencies") depLines.push("[dependencies]");
      continue;
    }
    if (/\bworkspace\s*=\s*true\b/.test(raw)) out.inheritsWorkspace = true;
    const k = KEY.exec(raw);
    if (section === "package" && k) {
      if (k[1] === "name") out.name = unquote(k[2]!);
      else if (k[1] === "version") out.version = unquote(k[2]!);
      else if (k[1] === "edition") out.edition = unquote(k[2]!);
    } else if (section === "lib" && k && k[1] === "path") {
      out.libPath = unquote(k[2]!);
    } else if (section === "dependencies" || section.startsWith("dependencies.")) {
      if (section === "dependencies" && k) out.deps.push(k[1]!.replace(/["']/g, ""));
      if (raw.trim() !== "") depLines.push(absolutePaths(raw, absDir));
    }
  }
  out.depsToml = depLines.join("\n");
  return out;
}

/** `path = "../x"` → `path = "/abs/x"`, so the copied crate still finds its path dependencies. */
function absolutePaths(line: string, absDir: string): string {
  return line.replace(/\bpath\s*=\s*"([^"]*)"/g, (_m, p: string) => {
    const abs = isAbsolute(p) ? p : resolve(absDir, p);
    return `path = ${JSON.stringify(abs)}`;
  });
}

/** The nearest Cargo.toml at or above a repo-relative folder, inside the repository. */
export function findCargoToml(repo: string, relDir: string): CargoManifest | undefined {
  let dir = relDir === "." ? "" : relDir;
  for (;;) {
    const file = join(repo, dir, "Cargo.toml");
    if (existsSync(file)) return parseCargoToml(readFileSync(file, "utf8"), join(repo, dir), dir);
    if (dir === "") return undefined;
    const up = posix.dirname(dir);
    dir = up === "." ? "" : up;
  }
}

/** The crate root: `[lib] path`, src/lib.rs, else src/main.rs (treated as a library root). */
export function crateRoot(repo: string, m: CargoManifest): string | undefined {
  const candidates = [m.libPath, "src/lib.rs", "src/main.rs"].filter((x): x is string => !!x);
  for (const c of candidates) {
    const rel = posix.join(m.dir, c.replaceAll("\\", "/"));
    if (existsSync(join(repo, rel))) return rel;
  }
  return undefined;
}

export const dirOf = (file: string): string => {
  const d = posix.dirname(file);
  return d === "." ? "" : d;
};
export { dirname };
