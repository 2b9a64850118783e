/**
 * `dcm validate` and `dcm analyze` on the example app: inference fills what the
 * CFD leaves out, --fix writes it back keeping comments, and validating the
 * fixed file reports nothing.
 */
import { cp, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli } from "../support/run-cli.js";

async function copyExample(): Promise<string> {
  const dir = join(await mkdtemp(join(tmpdir(), "dcm-validate-")), "go-shop");
  await cp(join(ROOT, "examples/go-shop"), dir, { recursive: true, filter: (src) => !src.includes("/dist") });
  return dir;
}

describe("dcm validate", () => {
  it("hints at inferred libs and dependencies, --fix writes them, and the fixed CFD validates clean", async () => {
    const repo = await copyExample();
    const cfd = join(repo, "dcm.yaml");
    const before = await readFile(cfd, "utf8");
    const first = await runCli(["validate", cfd, "--repo", repo, "--json"]);
    expect(first.code).toBe(0);
    const hints = JSON.parse(first.stdout).diagnostics as Array<{ code: string; fragment?: string; message: string }>;
    expect(hints.length).toBeGreaterThan(0);
    expect(hints.every((h) => h.code.startsWith("DCM_CFD_MISSING_"))).toBe(true);
    // Slugify calls the unexported `normalize`, also a fragment, without listing it.
    expect(hints.some((h) => h.code === "DCM_CFD_MISSING_DEPENDS_ON" && h.message.includes("normalize"))).toBe(true);

    const fixed = await runCli(["validate", cfd, "--repo", repo, "--fix"]);
    expect(fixed.code, fixed.stderr).toBe(0);
    const after = await readFile(cfd, "utf8");
    expect(after).not.toBe(before);
    // Every comment line of the original is still there.
    for (const line of before.split("\n").filter((l) => l.trim().startsWith("#"))) expect(after).toContain(line);

    const again = await runCli(["validate", cfd, "--repo", repo, "--json"]);
    expect(JSON.parse(again.stdout).diagnostics).toEqual([]);
    // Fixing a clean file changes nothing.
    await runCli(["validate", cfd, "--repo", repo, "--fix"]);
    expect(await readFile(cfd, "utf8")).toBe(after);
  });

  it("reports every CFD mistake in one pass with positions and suggestions", async () => {
    const repo = await copyExample();
    const cfd = join(repo, "bad.yaml");
    await writeFile(
      cfd,
      [
        "fragments:",
        "  - id: a",
        "    name: GetHash",
        "    runon: client",
        "    location: { filepath: shared/hash.go }",
        "  - id: a",
        "    name: Fibonaci",
        "    runOn: browser",
        "    location: { filepath: mathx/nope.go }",
        "    dependsOn: [b]",
        "",
      ].join("\n"),
    );
    const r = await runCli(["validate", cfd, "--repo", repo]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:4:5: error DCM_CFD_UNKNOWN_KEY: .*\n\s+fix: .*did you mean `runOn`/);
    expect(r.stderr).toMatch(/bad\.yaml:6:\d+: error DCM_CFD_DUPLICATE_ID/);
    expect(r.stderr).toMatch(/bad\.yaml:8:\d+: error DCM_CFD_INVALID_RUNON/);
    expect(r.stderr).toMatch(/bad\.yaml:10:\d+: error DCM_CFD_UNKNOWN_DEPENDENCY/);
  });

  it("reports the CFD's errors and the code's together, in one pass, sorted by file and position", async () => {
    const repo = await copyExample();
    const cfd = join(repo, "mixed.yaml");
    await writeFile(
      cfd,
      [
        "fragments:",
        "  - id: 0",
        "    name: GetHash",
        "    runOn: client",
        "    libz: [crypto/sha256]",
        "    location: { filepath: shared/hash.go }",
        "  - id: 1",
        "    name: Fibonacci",
        "    runOn: client",
        "    location: { filepath: mathx/nope.go }",
        "  - id: 2",
        "    name: Fibonaci",
        "    location: { filepath: mathx/fib.go }",
        "  - id: 3",
        "    name: Add",
        "    typeDef: true",
        "    location: { filepath: mathx/ints.go }",
        "",
      ].join("\n"),
    );
    const r = await runCli(["validate", cfd, "--repo", repo]);
    expect(r.code).toBe(1);
    const found = [...r.stderr.matchAll(/mixed\.yaml:(\d+):\d+: error (DCM_[A-Z_]+)/g)].map((m) => [Number(m[1]), m[2]]);
    expect(found).toEqual([
      [5, "DCM_CFD_UNKNOWN_KEY"],
      [10, "DCM_CFD_FILE_NOT_FOUND"],
      [12, "DCM_CFD_SYMBOL_NOT_FOUND"],
      [16, "DCM_CFD_KIND_MISMATCH"],
    ]);
    expect(r.stderr).toContain("`Add` is a function in mathx/ints.go");
    expect(r.stderr).toContain("4 error(s)");
  });

  it("prints paths relative to the current directory inside it, absolute outside it", async () => {
    const repo = await copyExample();
    const cfd = join(repo, "kind.yaml");
    await writeFile(cfd, "fragments:\n  - { id: 0, name: Add, typeDef: true, location: { filepath: mathx/ints.go } }\n");
    const inside = await runCli(["validate", "kind.yaml", "--repo", "."], { cwd: repo });
    expect(inside.stderr).toMatch(/^kind\.yaml:2:\d+: error DCM_CFD_KIND_MISMATCH/m);
    const outside = await runCli(["validate", cfd, "--repo", repo], { cwd: join(repo, "mathx") });
    expect(outside.stderr).toContain(`${cfd}:2:`);
    const json = JSON.parse((await runCli(["validate", "kind.yaml", "--json"], { cwd: repo })).stdout);
    expect(json.diagnostics[0].pos.file).toBe("kind.yaml");
  });

  it("offers the nearest names for a symbol that is not in its file", async () => {
    const repo = await copyExample();
    const cfd = join(repo, "typo.yaml");
    await writeFile(cfd, "fragments:\n  - id: fib\n    name: Fibonaci\n    runOn: client\n    location: { filepath: mathx/fib.go }\n");
    const r = await runCli(["validate", cfd, "--repo", repo]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/typo\.yaml:3:\d+: error DCM_CFD_SYMBOL_NOT_FOUND: .*Fibonaci.*\n\s+fix: .*`Fibonacci`/);
  });
});

describe("dcm analyze", () => {
  it("lists fragments with kinds, signatures and inferred dependencies", async () => {
    const r = await runCli(["analyze", join(ROOT, "examples/go-shop"), "--cfd", join(ROOT, "examples/go-shop/dcm.yaml"), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const byId = new Map(out.fragments.map((f: { id: string }) => [f.id, f]));
    const getHash = byId.get("1") as { kind: string; symbol: string; abi: string; deps: { libs: string[] }; signature: unknown };
    expect(getHash.symbol).toBe("GetHash");
    expect(getHash.kind).toBe("function");
    expect(getHash.abi).toBe("buffer");
    expect(getHash.deps.libs).toEqual(expect.arrayContaining(["crypto/sha256", "encoding/hex"]));
    const add = byId.get("6") as { abi: string; signature: { params: Array<{ type: unknown }> } };
    expect(add.abi).toBe("scalar");
    expect(add.signature.params[0]!.type).toEqual({ kind: "int", bits: 64, signed: true });
    expect((byId.get("tax-rate") as { kind: string }).kind).toBe("variable");
    expect((byId.get("full-name") as { kind: string }).kind).toBe("method");
  });
});
