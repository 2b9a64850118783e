/**
 * `dcm invoke` as a user sees it (issue 8, part 4): what a fragment prints
 * goes to stderr, prefixed with the fragment id, and stdout holds exactly
 * the results; fragments are named by id or by name; `--timeout` stops a
 * fragment that does not return, in this thread (WASM, JS) and in a native
 * plugin's worker, single and per batch case. Real toolchains: Go (the
 * test/server `slow` fixture) and TypeScript (a repository written here).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FragmentOutput } from "../../runtime/abi/output-types.js";
import { openDist } from "../../src/index.js";
import { runCli } from "../support/run-cli.js";

const SLOW = fileURLToPath(new URL("../server/fixtures/slow", import.meta.url));

let scratch: string;
let goDist: string;
let tsDist: string;

const TS_SOURCE = `// Fragments that print and one that never returns.
export function greet(name: string): string {
  console.log("greeting", name);
  console.error({ to: name, n: 2 });
  return "hello " + name;
}

export function spin(n: number): number {
  let x = n;
  while (x > 0) x = (x % 7) + 1;
  return x;
}
`;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "dcm-invoke-output-"));
  const go = join(scratch, "slow");
  await cp(SLOW, go, { recursive: true });
  const ts = join(scratch, "ts");
  await mkdir(join(ts, "src"), { recursive: true });
  await writeFile(join(ts, "src/app.ts"), TS_SOURCE);
  await writeFile(
    join(ts, "dcm.yaml"),
    [
      "defaults: { language: typescript }",
      "fragments:",
      "  - { id: greet, name: greet, runOn: client, location: { filepath: src/app.ts } }",
      "  - { id: spin-ts, name: spin, runOn: client, location: { filepath: src/app.ts } }",
      "",
    ].join("\n"),
  );
  goDist = join(scratch, "go-dist");
  tsDist = join(scratch, "ts-dist");
  const [a, b] = await Promise.all([
    runCli(["build", go, "--cfd", join(go, "dcm.yaml"), "--out", goDist]),
    runCli(["build", ts, "--cfd", join(ts, "dcm.yaml"), "--out", tsDist]),
  ]);
  expect(a.code, a.stderr).toBe(0);
  expect(b.code, b.stderr).toBe(0);
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const PLACEMENTS = [["--on", "client"], ["--on", "server"], ["--on", "server", "--target", "wasm"]];

describe("what fragments print", () => {
  it.each(PLACEMENTS)("goes to stderr with the fragment id, never to stdout (Go %s %s)", async (...placement) => {
    const r = await runCli(["invoke", goDist, "chatter", "--args", '["hi"]', ...placement]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('"HI"\n');
    expect(r.stderr.split("\n").filter(Boolean)).toEqual([
      "[fragment chatter] chatter: hi",
      "[fragment chatter] to stderr: hi",
      "[fragment chatter] logged: hi",
    ]);
  });

  it.each([["client"], ["server"]])("of a TypeScript module is formatted as console.log formats it (--on %s)", async (on) => {
    const r = await runCli(["invoke", tsDist, "greet", "--args", '["Ada"]', "--on", on!]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('"hello Ada"\n');
    expect(r.stderr).toBe("[fragment greet] greeting Ada\n[fragment greet] { to: 'Ada', n: 2 }\n");
  });

  it("reaches a library user's onOutput, per call, with the fragment id", async () => {
    const seen: FragmentOutput[] = [];
    const dist = await openDist(goDist, { onOutput: (o) => seen.push(o) });
    try {
      expect(await dist.call("Chatter", ["a"], { on: "client" })).toBe("A");
      expect(await dist.call("chatter", ["b"], { on: "server" })).toBe("B");
      expect(dist.callSync("chatter", ["c"], { on: "client" })).toBe("C");
      expect(await dist.call("twice", [2n], { on: "client" })).toBe(4n);
    } finally {
      await dist.close();
    }
    // The server's sync path hands output over after the call; the client's in the call.
    expect(seen.map((o) => [o.fragment, o.chunks.map((c) => `${c.stream}:${c.text}`).join("")])).toEqual([
      ["chatter", "stdout:chatter: a\nstderr:to stderr: a\nlogged: a\n"],
      ["chatter", "stdout:chatter: b\nstderr:to stderr: b\nlogged: b\n"],
      ["chatter", "stdout:chatter: c\nstderr:to stderr: c\nlogged: c\n"],
    ]);
  });
});

describe("the host's own stdout and stderr", () => {
  it("stay open after a native plugin's garbage collection (its replaced os.Stdout is never finalized)", async () => {
    const file = join(scratch, "batch-gc.json");
    await writeFile(file, '{"gc": [[], []], "chatter": [["after"]]}');
    const r = await runCli(["invoke", goDist, "--batch", file, "--on", "server"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('1\n1\n"AFTER"\n');
    expect(r.stderr).toContain("[fragment chatter] chatter: after");
  });
});

describe("fragment names", () => {
  it("takes a symbol, a Type.Method symbol and a method's bare name as well as an id", async () => {
    for (const name of ["meter-double", "Meter.Double", "Double"]) {
      const r = await runCli(["invoke", goDist, name, "--args", '[{"n": 21}]', "--on", "server"]);
      expect([r.code, r.stdout], name).toEqual([0, "42\n"]);
    }
  });

  it("answers an unknown name with the nearest ids and names, and exits 1", async () => {
    const r = await runCli(["invoke", goDist, "Chatr", "--args", '["x"]', "--on", "client"]);
    expect(r.code).toBe(1);
    const e = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(e.error.code).toBe("DCM_UNKNOWN_FRAGMENT");
    expect(e.error.message).toMatch(/Did you mean `chatter`\?/);
  });
});

describe("--timeout", () => {
  it.each(PLACEMENTS)("stops a Go fragment that never returns and exits 1 (%s %s)", async (...placement) => {
    const r = await runCli(["invoke", goDist, "spin", "--args", "[1]", ...placement, "--timeout", "0.5"]);
    expect(r.code).toBe(1);
    const e = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(e.error.code).toBe("DCM_CALL_TIMEOUT");
    expect(e.error.message).toMatch(/^`spin` did not finish within 500 ms/);
  });

  it.each([["client"], ["server"]])("stops a TypeScript loop (--on %s)", async (on) => {
    const r = await runCli(["invoke", tsDist, "spin", "--args", "[3]", "--on", on!, "--timeout", "0.5"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: "DCM_CALL_TIMEOUT" } });
  });

  it("refuses a timeout that is not a number of seconds", async () => {
    const r = await runCli(["invoke", goDist, "twice", "--args", "[1]", "--on", "client", "--timeout", "soon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--timeout must be a number of seconds/);
  });
});

describe("--batch", () => {
  it.each([["client"], ["server"]])(
    "prints one line per case whatever the fragments print or time out, runs every case, and exits 1 for an unknown fragment (--on %s)",
    async (on) => {
      const file = join(scratch, `batch-${on}.json`);
      await writeFile(
        file,
        '{"spin": [[1]], "chatter": [["a"], ["b"]], "nope": [[1], [2]], "Twice": [[21]], "Meter.Double": [[{"n": 4}]]}',
      );
      const r = await runCli(["invoke", goDist, "--batch", file, "--on", on!, "--timeout", "0.5"]);
      expect(r.code).toBe(1);
      const lines = r.stdout.split("\n").filter(Boolean);
      expect(lines).toHaveLength(7);
      expect(JSON.parse(lines[0]!)).toMatchObject({ error: { code: "DCM_CALL_TIMEOUT" } });
      // The call after a timeout runs on a fresh instance (in-thread) or a fresh worker (native).
      expect(lines.slice(1, 3)).toEqual(['"A"', '"B"']);
      expect(JSON.parse(lines[3]!)).toMatchObject({ error: { code: "DCM_UNKNOWN_FRAGMENT" } });
      expect(JSON.parse(lines[4]!)).toMatchObject({ error: { code: "DCM_UNKNOWN_FRAGMENT" } });
      expect(lines.slice(5)).toEqual(["42", "8"]);
      expect(r.stderr.match(/^\[fragment chatter\] chatter: [ab]$/gm)).toEqual(["[fragment chatter] chatter: a", "[fragment chatter] chatter: b"]);
    },
  );

  it("exits 0 when every case got its fragment's answer, errors included", async () => {
    const file = join(scratch, "batch-ok.json");
    await writeFile(file, '{"chatter": [["a"]], "boom": [["x"]]}');
    const r = await runCli(["invoke", goDist, "--batch", file, "--on", "server"]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split("\n").filter(Boolean);
    expect(lines[0]).toBe('"A"');
    expect(JSON.parse(lines[1]!)).toMatchObject({ error: { code: "DCM_FRAGMENT_PANIC" } });
  });
});
