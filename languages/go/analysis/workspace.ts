/**
 * Lazy view of the repository's Go packages. Files are read and text-indexed
 * (regexes over top-level declarations) when a package is first touched, and
 * parsed with tree-sitter only when a lookup picks them. This is what keeps
 * analysis time independent of the repository's size: the fragment files and
 * the files declaring what they reach are the only ones parsed.
 *
 * Known limitations: build constraints (`//go:build`, `_linux.go`) are
 * ignored, so a name declared once per platform resolves to the first file
 * in name order.
 */
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type Parser from "tree-sitter";
import { parseGo } from "./go-parser.js";
import { declRefs, summarize } from "./summarize.js";
import type { ParseCache } from "../../../src/languages/adapter-types.js";
import type { Decl, FileSummary, Refs } from "./summary-types.js";

export interface Found {
  decl: Decl;
  /** Repo-relative file. */
  file: string;
  summary: FileSummary;
}

interface TextIndex {
  pkgName: string;
  files: string[];
  /** Top-level non-method names -> files that seem to declare them. */
  names: Map<string, Set<string>>;
  /** Names seen in `type` declarations. */
  typeNames: Set<string>;
  /** Method name -> receiver type names and files. */
  methods: Map<string, Array<{ recv: string; file: string }>>;
}

const ID = String.raw`[\p{L}_][\p{L}\p{N}_]*`;
const IDS = String.raw`${ID}(?:\s*,\s*${ID})*`;
const RE_PACKAGE = new RegExp(String.raw`^package\s+(${ID})`, "mu");
const RE_FUNC = new RegExp(String.raw`^func\s+(${ID})`, "gmu");
const RE_METHOD = new RegExp(
  String.raw`^func\s*\(\s*(?:${ID}\s+)?\*?\s*(${ID})\s*(?:\[[^\]]*\])?\s*\)\s*(${ID})`,
  "gmu",
);
const RE_SINGLE = new RegExp(String.raw`^(type|var|const)\s+(${IDS})`, "gmu");
const RE_BLOCK = /^(type|var|const)\s*\(([\s\S]*?)^\)/gm;
const RE_BLOCK_LINE = new RegExp(String.raw`^\s*(${IDS})`, "gmu");

export const SUMMARY_CACHE_PREFIX = "go-summary:v2:";

export class GoWorkspace {
  /** tree-sitter parses done by this run (cache hits excluded). */
  filesParsed = 0;
  /** Files whose summary was requested since the last resetTouched(). */
  touched = new Set<string>();
  private readonly texts = new Map<string, string>();
  private readonly hashes = new Map<string, string>();
  private readonly summaries = new Map<string, FileSummary>();
  private readonly trees = new Map<string, Parser.Tree>();
  private readonly indexes = new Map<string, TextIndex>();
  private readonly listings = new Map<string, string[]>();

  constructor(
    readonly repo: string,
    private readonly cache?: ParseCache,
  ) {}

  read(file: string): string {
    let t = this.texts.get(file);
    if (t === undefined) {
      // Hash the bytes as read: inputs need every read file's hash anyway, and this avoids a second read.
      const bytes = readFileSync(join(this.repo, file));
      t = bytes.toString("utf8");
      this.texts.set(file, t);
      this.hashes.set(file, createHash("sha256").update(bytes).digest("hex"));
    }
    return t;
  }

  sha256(file: string): string {
    let h = this.hashes.get(file);
    if (h === undefined) {
      this.read(file);
      h = this.hashes.get(file)!;
    }
    return h;
  }

  summary(file: string): FileSummary {
    let s = this.summaries.get(file);
    if (s) {
      this.touched.add(file);
      return s;
    }
    const key = SUMMARY_CACHE_PREFIX + this.sha256(file);
    s = this.cache?.get(key) as FileSummary | undefined;
    if (!s) {
      const parsed = summarize(this.read(file));
      s = parsed.summary;
      this.trees.set(file, parsed.tree);
      this.filesParsed++;
      // Plain data (summary-types.ts), its `refs` filled in by this run: kept on disk across runs.
      this.cache?.set(key, s, { persist: true });
    }
    this.summaries.set(file, s);
    this.touched.add(file);
    return s;
  }

  /**
   * A declaration's references, computed on first use and kept in the
   * (cacheable) summary. A summary from the cache whose declaration was never
   * visited needs its file parsed again.
   */
  refs(found: Found): Refs {
    if (found.decl.refs) return found.decl.refs;
    found.decl.refs = declRefs(this.tree(found.file), found.decl);
    return found.decl.refs;
  }

  /** The file's syntax tree (parsed again when its summary came from the cache). */
  tree(file: string): Parser.Tree {
    let tree = this.trees.get(file);
    if (!tree) {
      tree = parseGo(this.read(file));
      this.trees.set(file, tree);
      this.filesParsed++;
    }
    return tree;
  }

  resetTouched(): void {
    this.touched = new Set();
  }

  /** Non-test .go files of a package directory, sorted; [] when the folder does not exist. */
  packageFiles(dir: string): string[] {
    // Listed without the text index: the build's inputs (inputs.ts) list far more packages than lookups touch.
    let files = this.listings.get(dir);
    if (!files) {
      files = listPackage(this.repo, dir);
      this.listings.set(dir, files);
    }
    return files;
  }

  /** The package clause name of a directory (from the first file that has one). */
  pkgName(dir: string): string {
    return this.index(dir).pkgName;
  }

  /** Top-level names the text index saw in a package (for did-you-mean); `types`: type names only. */
  declaredNames(dir: string, types = false): string[] {
    const idx = this.index(dir);
    return types ? [...idx.typeNames] : [...idx.names.keys()];
  }

  /** The package-level function, var, const or type `name` of a package. */
  findTopLevel(dir: string, name: string): Found | undefined {
    for (const file of sorted(this.index(dir).names.get(name))) {
      const summary = this.summary(file);
      const decl = summary.decls.find((d) => d.kind !== "method" && d.name === name);
      if (decl) return { decl, file, summary };
    }
    return undefined;
  }

  /** Every package-level function, var, const or type `name` of a package (one per build variant, and every `init`). */
  findAllTopLevel(dir: string, name: string): Found[] {
    const out: Found[] = [];
    for (const file of sorted(this.index(dir).names.get(name))) {
      const summary = this.summary(file);
      for (const decl of summary.decls)
        if (decl.kind !== "method" && decl.name === name) out.push({ decl, file, summary });
    }
    return out;
  }

  /** Every method declared on the type `typeName` of a package. */
  methodsOf(dir: string, typeName: string): Found[] {
    const files = new Set<string>();
    for (const entries of this.index(dir).methods.values()) {
      for (const e of entries) if (e.recv === typeName) files.add(e.file);
    }
    const out: Found[] = [];
    for (const file of sorted(files)) {
      const summary = this.summary(file);
      for (const decl of summary.decls) {
        if (decl.kind === "method" && decl.recv?.typeName === typeName) out.push({ decl, file, summary });
      }
    }
    return out;
  }

  /** Method `name` of type `typeName`; `typeName` undefined: every method so named. */
  findMethods(dir: string, name: string, typeName?: string): Found[] {
    const entries = this.index(dir).methods.get(name) ?? [];
    const files = new Set(entries.filter((e) => typeName === undefined || e.recv === typeName).map((e) => e.file));
    const out: Found[] = [];
    for (const file of sorted(files)) {
      const summary = this.summary(file);
      for (const decl of summary.decls) {
        if (
          decl.kind === "method" &&
          decl.name === name &&
          (typeName === undefined || decl.recv?.typeName === typeName)
        ) {
          out.push({ decl, file, summary });
        }
      }
    }
    return out;
  }

  private index(dir: string): TextIndex {
    let idx = this.indexes.get(dir);
    if (idx) return idx;
    idx = { pkgName: "", files: this.packageFiles(dir), names: new Map(), typeNames: new Set(), methods: new Map() };
    this.indexes.set(dir, idx);
    for (const file of idx.files) indexText(idx, file, this.read(file));
    return idx;
  }
}

function listPackage(repo: string, dir: string): string[] {
  try {
    return readdirSync(join(repo, dir), { withFileTypes: true })
      .filter((e) => e.isFile() && isGoSource(e.name))
      .map((e) => (dir === "" ? e.name : `${dir}/${e.name}`))
      .sort();
  } catch {
    return [];
  }
}

/** Go ignores `_test.go` for builds and files starting with `_` or `.` altogether. */
export function isGoSource(name: string): boolean {
  return name.endsWith(".go") && !name.endsWith("_test.go") && !name.startsWith("_") && !name.startsWith(".");
}

function sorted(files: Iterable<string> | undefined): string[] {
  return files ? [...files].sort() : [];
}

function indexText(idx: TextIndex, file: string, text: string): void {
  if (!idx.pkgName) idx.pkgName = RE_PACKAGE.exec(text)?.[1] ?? "";
  const add = (name: string) => {
    let set = idx.names.get(name);
    if (!set) {
      set = new Set();
      idx.names.set(name, set);
    }
    set.add(file);
  };
  const addList = (list: string, isType: boolean) => {
    for (const n of list.split(",")) {
      add(n.trim());
      if (isType) idx.typeNames.add(n.trim());
    }
  };
  for (const m of text.matchAll(RE_FUNC)) add(m[1]!);
  for (const m of text.matchAll(RE_SINGLE)) addList(m[2]!, m[1] === "type");
  for (const block of text.matchAll(RE_BLOCK)) {
    // Over-approximates (continuation lines of multi-line values match too); parsing confirms.
    for (const m of block[2]!.matchAll(RE_BLOCK_LINE)) addList(m[1]!, block[1] === "type");
  }
  for (const m of text.matchAll(RE_METHOD)) {
    const list = idx.methods.get(m[2]!) ?? [];
    list.push({ recv: m[1]!, file });
    idx.methods.set(m[2]!, list);
  }
}
