/**
 * Real archives of the examples, packed by the CLI tools users have (`tar czf`, `zip -r -y`) and by
 * node-tar / yazl: each unpacks to the files of the folder itself (contents, modes, links), and all
 * give the tree hash computed from the folder on disk. A GitHub-style archive (everything under
 * `repo-<sha>/`) is stripped to the same tree.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import yazl from "yazl";
import { archiveKindOf, checkArchive, unpackArchive } from "../../../src/service/archive/unpack-archive.js";
import { folderTreeHash, listFolder, tempDir } from "./archive-helpers.js";

const ROOT = join(import.meta.dirname, "../../..");
let work: string;
let repo: string;

function hasTool(tool: string): boolean {
  try {
    execFileSync(tool, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  work = tempDir("real");
  repo = join(work, "repo");
  cpSync(join(ROOT, "examples"), repo, { recursive: true });
  // What real repositories also hold: an executable script, a link inside, a deep path, a long name.
  writeFileSync(join(repo, "build.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(repo, "build.sh"), 0o755);
  symlinkSync("go-shop/README.md", join(repo, "README.md"));
  symlinkSync("../web", join(repo, "polyglot/web-link"));
  const deep = join(repo, "deep", ..."abcdefghijklmnopqrstuvwxyz".split(""));
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, `${"long-name-".repeat(20)}.txt`), "PAX or GNU long names\n");
  writeFileSync(join(repo, "ünïcode.txt"), "é\n");
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function unpackAndCompare(archive: Buffer, kind: "tar.gz" | "zip", tag: string, prefix?: string) {
  expect(archiveKindOf(archive)).toBe(kind);
  const dest = join(work, `out-${tag}`);
  const result = await unpackArchive(archive, kind, dest);
  expect(result.strippedPrefix).toBe(prefix);
  expect(listFolder(dest)).toEqual(listFolder(repo));
  expect(result.treeHash).toBe(folderTreeHash(repo));
  expect(result.files.map((f) => f.path)).toEqual(listFolder(repo).map((f) => f.path));
  const script = result.files.find((f) => f.path === "build.sh")!;
  expect(script.executable).toBe(true);
  expect(result.files.find((f) => f.path === "README.md")!.symlink).toBe("go-shop/README.md");
  expect(result.bytes).toBe(result.files.filter((f) => f.symlink === undefined).reduce((n, f) => n + f.size, 0));
  // The check-only pass (what the service answers a submission after) sees the same tree and writes nothing.
  const checked = await checkArchive(archive, kind, {}, { keep: ["go-shop/dcm.yaml", "README.md", "absent.yaml"] });
  expect(checked.treeHash).toBe(result.treeHash);
  expect(checked.files).toEqual(result.files);
  expect(checked.strippedPrefix).toBe(prefix);
  expect([...checked.kept.keys()]).toEqual(["go-shop/dcm.yaml"]);
  expect(checked.kept.get("go-shop/dcm.yaml")).toEqual(readFileSync(join(repo, "go-shop", "dcm.yaml")));
  return result;
}

describe("real archives of the examples", () => {
  it.runIf(hasTool("tar"))("tar czf (GNU tar, `./` entries, long names) unpacks to the folder", async () => {
    const file = join(work, "cli.tar.gz");
    execFileSync("tar", ["czf", file, "-C", repo, "."]);
    await unpackAndCompare(readFileSync(file), "tar.gz", "cli-tar");
  });

  it.runIf(hasTool("zip"))("zip -r -y unpacks to the folder, with the same tree hash as the tar", async () => {
    const file = join(work, "cli.zip");
    execFileSync("zip", ["-q", "-r", "-y", file, "."], { cwd: repo });
    await unpackAndCompare(readFileSync(file), "zip", "cli-zip");
  });

  it.runIf(hasTool("tar"))("tar czf of the folder itself (one top folder) is stripped", async () => {
    const file = join(work, "prefixed.tar.gz");
    execFileSync("tar", ["czf", file, "-C", work, "repo"]);
    await unpackAndCompare(readFileSync(file), "tar.gz", "cli-prefixed", "repo");
  });

  it("node-tar (portable, PAX) with a GitHub-style prefix and other mtimes is stripped to the same tree", async () => {
    const gh = join(work, "gh");
    mkdirSync(gh);
    cpSync(repo, join(gh, "dcm-0123456789abcdef"), { recursive: true, verbatimSymlinks: true });
    const file = join(work, "node.tar.gz");
    await tar.create({ gzip: true, file, cwd: gh, portable: true, mtime: new Date(0) }, ["dcm-0123456789abcdef"]);
    await unpackAndCompare(readFileSync(file), "tar.gz", "node-tar", "dcm-0123456789abcdef");
  });

  it("yazl in reverse order with a prefix gives the same tree", async () => {
    const zip = new yazl.ZipFile();
    for (const f of [...listFolder(repo)].reverse()) {
      const name = `repo-main/${f.path}`;
      if (f.mode === "l") zip.addBuffer(Buffer.from(f.value), name, { mode: 0o120777 });
      else
        zip.addBuffer(readFileSync(join(repo, f.path)), name, {
          mode: f.mode === "755" ? 0o100755 : 0o100644,
          mtime: new Date(2001, 1, 1),
        });
    }
    zip.end();
    const chunks: Buffer[] = [];
    for await (const c of zip.outputStream as AsyncIterable<Buffer>) chunks.push(c);
    await unpackAndCompare(Buffer.concat(chunks), "zip", "yazl", "repo-main");
  });

  it("tar with a hard link inside: the link becomes a copy, same tree as the folder", async () => {
    const hl = join(work, "hl");
    mkdirSync(hl);
    writeFileSync(join(hl, "a.txt"), "shared\n");
    execFileSync("ln", [join(hl, "a.txt"), join(hl, "b.txt")]);
    const file = join(work, "hl.tar.gz");
    execFileSync("tar", ["czf", file, "-C", hl, "."]);
    const listing = execFileSync("tar", ["tvzf", file]).toString();
    expect(listing).toMatch(/link to/);
    const dest = join(work, "out-hl");
    const result = await unpackArchive(readFileSync(file), "tar.gz", dest);
    expect(listFolder(dest)).toEqual(listFolder(hl));
    expect(result.treeHash).toBe(folderTreeHash(hl));
    expect(existsSync(join(dest, "b.txt"))).toBe(true);
  });
});
