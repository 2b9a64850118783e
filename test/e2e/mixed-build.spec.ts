/**
 * One CFD, several languages, one dist (issue 4, part 5): record names are
 * shared by every language of a manifest, so two languages may declare the
 * same record only with the same fields (by jsonName and type); otherwise the
 * build stops with DCM_TYPE_NAME_CLASH, naming both declarations, and writes
 * nothing. Real toolchains (go, cargo) build the accepted case.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../../runtime/abi/manifest-types.js";
import { runCli } from "../support/run-cli.js";

let scratch: string;

async function repo(name: string, rustFields: string): Promise<string> {
  const dir = join(scratch, name);
  await mkdir(join(dir, "geo"), { recursive: true });
  await mkdir(join(dir, "rs/src"), { recursive: true });
  await writeFile(join(dir, "go.mod"), "module example.com/mixed\n\ngo 1.24\n");
  await writeFile(
    join(dir, "geo/geo.go"),
    'package geo\n\ntype Point struct {\n\tX float64 `json:"x"`\n\tY float64 `json:"y"`\n}\n\nfunc Norm1(p Point) float64 { return p.X + p.Y }\n',
  );
  await writeFile(join(dir, "rs/Cargo.toml"), '[package]\nname = "mixed"\nversion = "0.1.0"\nedition = "2021"\n');
  await writeFile(
    join(dir, "rs/src/lib.rs"),
    `pub struct Point {\n${rustFields}}\n\npub fn swap(p: Point) -> Point {\n    Point { x: p.y, y: p.x }\n}\n`,
  );
  await writeFile(
    join(dir, "dcm.yaml"),
    [
      "fragments:",
      "  - { id: norm1, name: Norm1, runOn: client, location: { filepath: geo/geo.go } }",
      "  - { id: swap, name: swap, runOn: client, location: { filepath: rs/src/lib.rs } }",
      "",
    ].join("\n"),
  );
  return dir;
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-mixed-"));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe("records shared by two languages of one build", () => {
  it("are one record when their fields match by jsonName and type: both languages take and return it", async () => {
    const dir = await repo("same", "    pub x: f64,\n    pub y: f64,\n");
    const out = join(dir, "dist");
    const b = await runCli(["build", dir, "--cfd", join(dir, "dcm.yaml"), "--out", out]);
    expect(b.code, b.stderr).toBe(0);
    const m = JSON.parse(await readFile(join(out, "manifest.json"), "utf8")) as Manifest;
    expect(m.types.Point?.fields.map((f) => f.jsonName)).toEqual(["x", "y"]);
    const go = await runCli(["invoke", out, "norm1", "--args", '[{"x": 1.5, "y": 2}]', "--on", "client"]);
    expect(go.stdout.trim()).toBe("3.5");
    const rs = await runCli(["invoke", out, "swap", "--args", '[{"x": 1.5, "y": 2}]', "--on", "server"]);
    expect(rs.stdout.trim()).toBe('{"x":2,"y":1.5}');
  });

  it("stop the build with DCM_TYPE_NAME_CLASH when their fields differ, naming both, and write nothing", async () => {
    const dir = await repo("clash", "    pub x: f64,\n    pub y: f64,\n    pub z: f64,\n");
    const out = join(dir, "dist");
    const b = await runCli(["build", dir, "--cfd", join(dir, "dcm.yaml"), "--out", out]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain("DCM_TYPE_NAME_CLASH");
    expect(b.stderr).toMatch(/Record `Point` is declared by .*Go.* and by Rust/);
    expect(b.stderr).toMatch(/Rename one of the two types/);
    expect(existsSync(out)).toBe(false);
  });
});
