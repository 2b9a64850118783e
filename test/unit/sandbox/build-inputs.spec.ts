/**
 * What the build cache key covers besides the fragments' own files: the
 * folders Go `replace` directives and Rust path dependencies name inside the
 * repository (every file, transitively for path dependencies), and the files
 * `include_str!`/`include_bytes!` name. Outside the repository nothing is
 * listed (the sandbox hides it and the build fails naming it).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { localReplaceDirs } from "../../../languages/go/analysis/inputs.js";
import { includeTargets, localInputs, pathDependencyDirs } from "../../../languages/rust/analysis/crate-files.js";
import { hashTree, mergeInputs } from "../../../src/languages/kit/input-files.js";

let root: string;
let repo: string;
const write = (rel: string, text: string) => {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "dcm-inputs-"));
  repo = join(root, "repo");
  write("repo/go.mod", "module example.com/app\n\nrequire (\n\texample.com/lib v0.0.0\n)\n\nreplace example.com/lib => ./third_party/lib // local\nreplace example.com/far => ../far\nreplace example.com/mod => example.com/fork v1.2.3\n");
  write("repo/third_party/lib/go.mod", "module example.com/lib\n");
  write("repo/third_party/lib/lib.go", "package lib\n");
  write("repo/third_party/lib/data/table.txt", "1 2 3\n");
  write("repo/third_party/lib/.git/HEAD", "ref\n");
  write("far/far.go", "package far\n");
  write(
    "repo/crate/Cargo.toml",
    '[package]\nname = "app"\n\n[lib]\npath = "src/lib.rs"\n\n[dependencies]\nhelper = { path = "../helper" }\nfar = { path = "../../far" }\nitoa = "1"\n',
  );
  write("repo/crate/src/lib.rs", 'const A: &str = include_str!("../assets/a.txt");\nconst B: &[u8] = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/b.bin"));\nconst C: &str = include_str!("/etc/hostname");\n');
  write("repo/crate/assets/a.txt", "a");
  write("repo/crate/assets/b.bin", "b");
  write("repo/helper/Cargo.toml", '[package]\nname = "helper"\n\n[build-dependencies]\ndeep = { path = "../deep" }\n');
  write("repo/helper/build.rs", "fn main() {}\n");
  write("repo/helper/src/lib.rs", "pub fn v() -> i32 { 1 }\n");
  write("repo/helper/target/debug/junk", "x");
  write("repo/deep/Cargo.toml", '[package]\nname = "deep"\n');
  write("repo/deep/src/lib.rs", "\n");
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test("Go: local replace targets inside the repository, not module replacements or outside folders", () => {
  expect(localReplaceDirs([join(repo, "go.mod"), join(repo, "go.work")], repo)).toEqual(["third_party/lib"]);
  expect(hashTree(repo, "third_party/lib").map((i) => i.file)).toEqual([
    "third_party/lib/data/table.txt",
    "third_party/lib/go.mod",
    "third_party/lib/lib.go",
  ]);
});

test("Rust: path dependencies transitively (build-dependencies too), inside the repository only", () => {
  expect(pathDependencyDirs(repo, "crate")).toEqual(["deep", "helper"]);
});

test("Rust: include targets, relative to the file or to CARGO_MANIFEST_DIR, inside the repository only", () => {
  expect(includeTargets(repo, "crate", ["crate/src/lib.rs"])).toEqual(["crate/assets/a.txt", "crate/assets/b.bin"]);
  const files = localInputs(repo, "crate", ["crate/src/lib.rs"]).map((i) => i.file);
  expect(files).toContain("helper/build.rs");
  expect(files).toContain("deep/src/lib.rs");
  expect(files).toContain("crate/assets/b.bin");
  expect(files.some((f) => f.includes("target/"))).toBe(false);
});

test("an edit changes the hash; merging keeps one entry per file", () => {
  const before = hashTree(repo, "helper");
  write("repo/helper/src/lib.rs", "pub fn v() -> i32 { 2 }\n");
  const after = hashTree(repo, "helper");
  expect(after.find((i) => i.file === "helper/src/lib.rs")!.sha256).not.toBe(before.find((i) => i.file === "helper/src/lib.rs")!.sha256);
  expect(mergeInputs(before, after).length).toBe(before.length);
});
