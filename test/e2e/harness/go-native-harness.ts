/**
 * An independent reference for Go fragments: runs them natively through a
 * generated Go program (reflect + encoding/json + a canonical JSON printer
 * written in Go), so that e2e tests can compare `dcm invoke` against it
 * without trusting any of dcm's own codecs or generated glue.
 *
 * The repository is never copied or modified: the harness is added with
 * `go build -overlay`, which layers
 *   (a) `<pkgdir>/zz_dcm_harness.go` into every package that holds a fragment,
 *       exporting `var DcmHarness_<n> = <func>` (or a method expression
 *       `T.M` / `(*T).M`), so unexported functions work too, and
 *   (b) `<moduleRoot>/zz_dcm_harness/main.go`, the program itself.
 *
 * Results use the canonical JSON of `dcm invoke`: 0 results -> null, 1 -> the
 * value, several -> an array; a non-nil trailing error ->
 * {"error":{"code":"DCM_FRAGMENT_ERROR","message":...}}; a panic ->
 * {"error":{"code":"DCM_FRAGMENT_PANIC","message":fmt.Sprint(r)}}.
 * Compare texts with canonicalEqual(), not with ===.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { GoFragmentDetail } from "../../../languages/go/go-types.js";

export interface HarnessFragment {
  id: string;
  detail: GoFragmentDetail;
}

/** Error codes the Go program can print; DCM_BAD_ARGUMENTS means the case did not decode into the parameter types. */
export const HARNESS_ERROR_CODES = ["DCM_FRAGMENT_ERROR", "DCM_FRAGMENT_PANIC", "DCM_BAD_ARGUMENTS"] as const;

/**
 * Runs every case natively. `cases` maps a fragment id to the raw JSON texts of
 * its argument arrays (passed to Go byte for byte, so big integers stay exact).
 * Returns, per id, the canonical JSON text of each case's result, in order.
 */
export async function runGoNative(
  repo: string,
  fragments: Array<{ id: string; detail: GoFragmentDetail }>,
  cases: Record<string, string[]>,
): Promise<Record<string, string[]>> {
  const repoAbs = resolve(repo);
  const byId = new Map<string, { n: number; frag: HarnessFragment; moduleRoot: string }>();
  fragments.forEach((frag, n) => {
    if (byId.has(frag.id)) throw new Error(`runGoNative: fragment id \`${frag.id}\` given twice`);
    if (frag.detail.pkg.pkgName === "main") {
      throw new Error(`runGoNative: fragment \`${frag.id}\` is in package main, which a harness cannot import`);
    }
    byId.set(frag.id, { n, frag, moduleRoot: findModuleRoot(repoAbs, frag.detail.pkg.dir) });
  });
  for (const [id, list] of Object.entries(cases)) {
    if (!byId.has(id)) throw new Error(`runGoNative: cases given for unknown fragment \`${id}\``);
    list.forEach((text, i) => {
      try {
        const node = parseJsonWithSource(text);
        if (node.t !== "arr") throw new Error("not a JSON array");
      } catch (e) {
        throw new Error(`runGoNative: case ${i} of \`${id}\` is not a JSON array: ${(e as Error).message}\n${text}`);
      }
    });
  }

  // One harness program per Go module (usually exactly one).
  const modules = new Map<string, Array<{ n: number; frag: HarnessFragment }>>();
  for (const entry of byId.values()) {
    const list = modules.get(entry.moduleRoot) ?? [];
    list.push(entry);
    modules.set(entry.moduleRoot, list);
  }

  const out: Record<string, string[]> = {};
  for (const [moduleRoot, entries] of modules) {
    const calls: Array<{ id: string; n: number; args: string }> = [];
    for (const { n, frag } of entries) for (const args of cases[frag.id] ?? []) calls.push({ id: frag.id, n, args });
    if (calls.length === 0) continue;
    const lines = await buildAndRun(repoAbs, moduleRoot, entries, calls);
    calls.forEach((c, i) => {
      const list = out[c.id] ?? [];
      list.push(lines[i]!);
      out[c.id] = list;
    });
  }
  return out;
}

function findModuleRoot(repo: string, pkgDir: string): string {
  let dir = resolve(repo, pkgDir);
  for (;;) {
    if (existsSync(join(dir, "go.mod"))) return dir;
    const up = dirname(dir);
    const inside = up === repo || up.startsWith(`${repo}/`);
    if (up === dir || !inside) {
      throw new Error(`runGoNative: no go.mod above ${resolve(repo, pkgDir)} inside ${repo}`);
    }
    dir = up;
  }
}

async function buildAndRun(
  repo: string,
  moduleRoot: string,
  entries: Array<{ n: number; frag: HarnessFragment }>,
  calls: Array<{ id: string; n: number; args: string }>,
): Promise<string[]> {
  const tmp = await mkdtemp(join(tmpdir(), "dcm-go-harness-"));
  try {
    const replace: Record<string, string> = {};
    // (a) one file per package holding fragments
    const byPkg = new Map<string, Array<{ n: number; frag: HarnessFragment }>>();
    for (const e of entries) {
      const dir = resolve(repo, e.frag.detail.pkg.dir);
      const list = byPkg.get(dir) ?? [];
      list.push(e);
      byPkg.set(dir, list);
    }
    let k = 0;
    for (const [dir, list] of byPkg) {
      const real = join(tmp, `pkg${k++}_zz_dcm_harness.go`);
      await writeFile(real, packageFile(list[0]!.frag.detail.pkg.pkgName, list));
      replace[join(dir, "zz_dcm_harness.go")] = real;
    }
    // (b) the program
    const mainReal = join(tmp, "main.go");
    await writeFile(mainReal, mainFile(entries));
    replace[join(moduleRoot, "zz_dcm_harness", "main.go")] = mainReal;

    const overlay = join(tmp, "overlay.json");
    await writeFile(overlay, JSON.stringify({ Replace: replace }, null, 2));
    const bin = join(tmp, "harness");
    const build = await run("go", ["build", "-overlay", overlay, "-o", bin, "./zz_dcm_harness"], { cwd: moduleRoot });
    if (build.code !== 0) {
      throw new Error(
        `runGoNative: go build failed (exit ${build.code}) in ${moduleRoot}:\n${build.stderr}${build.stdout}`,
      );
    }

    const input = `[${calls.map((c) => `{"f":${c.n},"args":${c.args}}`).join(",\n")}]`;
    const resultsFile = join(tmp, "results.txt");
    const exec = await run(bin, [resultsFile], { cwd: moduleRoot, input });
    const text = await readFile(resultsFile, "utf8").catch(() => "");
    const lines = text.split("\n").filter((l) => l !== "");
    if (exec.code !== 0 || lines.length !== calls.length) {
      const at = calls[lines.length];
      const where = at ? ` while running case ${at.args} of \`${at.id}\`` : "";
      throw new Error(
        `runGoNative: the harness exited with ${exec.code} after ${lines.length} of ${calls.length} cases${where}:\n${exec.stderr}`,
      );
    }
    return lines;
  } finally {
    if (!process.env.DCM_KEEP_HARNESS) await rm(tmp, { recursive: true, force: true });
  }
}

function packageFile(pkgName: string, list: Array<{ n: number; frag: HarnessFragment }>): string {
  const vars = list.map(({ n, frag }) => {
    const d = frag.detail;
    const expr = !d.receiver
      ? d.funcName
      : d.receiver.pointer
        ? `(*${d.receiver.typeName}).${d.funcName}`
        : `${d.receiver.typeName}.${d.funcName}`;
    return `var DcmHarness_${n} = ${expr} // ${frag.id}`;
  });
  return `// Code generated by dcm's e2e Go harness. DO NOT EDIT.\n\npackage ${pkgName}\n\n${vars.join("\n")}\n`;
}

function mainFile(entries: Array<{ n: number; frag: HarnessFragment }>): string {
  const aliases = new Map<string, string>();
  for (const { frag } of entries) {
    if (!aliases.has(frag.detail.pkg.pkgPath)) aliases.set(frag.detail.pkg.pkgPath, `p${aliases.size}`);
  }
  const imports = [...aliases].map(([path, alias]) => `\t${alias} ${JSON.stringify(path)}`).join("\n");
  const table = [...entries]
    .sort((a, b) => a.n - b.n)
    .map(
      ({ n, frag }) =>
        `\t${n}: {reflect.ValueOf(${aliases.get(frag.detail.pkg.pkgPath)}.DcmHarness_${n}), ${frag.detail.receiver?.pointer === true}}, // ${JSON.stringify(frag.id)}`,
    )
    .join("\n");
  return GO_MAIN.replace("\t//IMPORTS", imports).replace("\t//TABLE", table);
}

const GO_MAIN = `// Code generated by dcm's e2e Go harness. DO NOT EDIT.

// Command zz_dcm_harness calls fragments through reflect and prints each
// result as canonical JSON, one line per case.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"

	//IMPORTS
)

type fragment struct {
	fn reflect.Value
	// The first parameter is a pointer receiver: decode the struct, pass its address.
	recvPtr bool
}

var fragments = map[int]fragment{
	//TABLE
}

var errorType = reflect.TypeOf((*error)(nil)).Elem()
var byteType = reflect.TypeOf(byte(0))

func main() {
	out := os.Stdout
	// Whatever a fragment prints must not mix with the results.
	os.Stdout = os.Stderr
	if len(os.Args) > 1 {
		f, err := os.Create(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		defer f.Close()
		out = f
	}
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	var cases []struct {
		F    int             \`json:"f"\`
		Args json.RawMessage \`json:"args"\`
	}
	if err := json.Unmarshal(in, &cases); err != nil {
		fmt.Fprintln(os.Stderr, "bad input:", err)
		os.Exit(2)
	}
	for _, c := range cases {
		f, ok := fragments[c.F]
		line := ""
		if !ok {
			line = errorJSON("DCM_BAD_ARGUMENTS", "no fragment "+strconv.Itoa(c.F))
		} else {
			line = call(f, c.Args)
		}
		if _, err := io.WriteString(out, line+"\\n"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
}

func errorJSON(code, message string) string {
	var b strings.Builder
	b.WriteString(\`{"error":{"code":\`)
	writeString(&b, code)
	b.WriteString(\`,"message":\`)
	writeString(&b, message)
	b.WriteString("}}")
	return b.String()
}

// hasFloat: whether a value of t can hold a float (canonical JSON writes NaN and ±Infinity as strings).
func hasFloat(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice, reflect.Array, reflect.Ptr, reflect.Map:
		return hasFloat(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if hasFloat(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// decodeValue is json.Unmarshal that also takes "NaN", "Infinity" and "-Infinity" for floats.
func decodeValue(raw json.RawMessage, p reflect.Value) error {
	t := p.Elem().Type()
	if !hasFloat(t, map[reflect.Type]bool{}) || string(raw) == "null" {
		return json.Unmarshal(raw, p.Interface())
	}
	v := p.Elem()
	switch t.Kind() {
	case reflect.Float32, reflect.Float64:
		var s string
		if json.Unmarshal(raw, &s) == nil {
			switch s {
			case "NaN":
				v.SetFloat(math.NaN())
			case "Infinity":
				v.SetFloat(math.Inf(1))
			case "-Infinity":
				v.SetFloat(math.Inf(-1))
			default:
				return fmt.Errorf("not a float: %q", s)
			}
			return nil
		}
		return json.Unmarshal(raw, p.Interface())
	case reflect.Ptr:
		n := reflect.New(t.Elem())
		if err := decodeValue(raw, n); err != nil {
			return err
		}
		v.Set(n)
		return nil
	case reflect.Slice, reflect.Array:
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return err
		}
		if t.Kind() == reflect.Slice {
			v.Set(reflect.MakeSlice(t, len(items), len(items)))
		} else if len(items) != t.Len() {
			return fmt.Errorf("expected %d elements, got %d", t.Len(), len(items))
		}
		for i, it := range items {
			if err := decodeValue(it, v.Index(i).Addr()); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return json.Unmarshal(raw, p.Interface())
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		v.Set(reflect.MakeMap(t))
		for k, it := range m {
			e := reflect.New(t.Elem())
			if err := decodeValue(it, e); err != nil {
				return err
			}
			v.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), e.Elem())
		}
		return nil
	case reflect.Struct:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return err
		}
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name := sf.Name
			if tag := strings.Split(sf.Tag.Get("json"), ",")[0]; tag == "-" {
				continue
			} else if tag != "" {
				name = tag
			}
			if it, ok := m[name]; ok {
				if err := decodeValue(it, v.Field(i).Addr()); err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
			}
		}
		return nil
	}
	return json.Unmarshal(raw, p.Interface())
}

func call(f fragment, raw json.RawMessage) (line string) {
	var args []json.RawMessage
	if err := json.Unmarshal(raw, &args); err != nil {
		return errorJSON("DCM_BAD_ARGUMENTS", "arguments must be a JSON array: "+err.Error())
	}
	t := f.fn.Type()
	nin := t.NumIn()
	if t.IsVariadic() {
		if len(args) < nin-1 {
			return errorJSON("DCM_BAD_ARGUMENTS", fmt.Sprintf("expected at least %d arguments, got %d", nin-1, len(args)))
		}
	} else if len(args) != nin {
		return errorJSON("DCM_BAD_ARGUMENTS", fmt.Sprintf("expected %d arguments, got %d", nin, len(args)))
	}
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		var pt reflect.Type
		if t.IsVariadic() && i >= nin-1 {
			pt = t.In(nin - 1).Elem()
		} else {
			pt = t.In(i)
		}
		if i == 0 && f.recvPtr {
			p := reflect.New(pt.Elem())
			if err := decodeValue(a, p); err != nil {
				return errorJSON("DCM_BAD_ARGUMENTS", fmt.Sprintf("receiver: %v", err))
			}
			in[i] = p
			continue
		}
		p := reflect.New(pt)
		if err := decodeValue(a, p); err != nil {
			return errorJSON("DCM_BAD_ARGUMENTS", fmt.Sprintf("argument %d: %v", i+1, err))
		}
		in[i] = p.Elem()
	}

	defer func() {
		if r := recover(); r != nil {
			line = errorJSON("DCM_FRAGMENT_PANIC", fmt.Sprint(r))
		}
	}()
	res := f.fn.Call(in)

	if n := t.NumOut(); n > 0 && t.Out(n-1) == errorType {
		if e := res[n-1]; !e.IsNil() {
			return errorJSON("DCM_FRAGMENT_ERROR", e.Interface().(error).Error())
		}
		res = res[:n-1]
	}
	var b strings.Builder
	switch len(res) {
	case 0:
		b.WriteString("null")
	case 1:
		write(&b, res[0])
	default:
		b.WriteByte('[')
		for i, r := range res {
			if i > 0 {
				b.WriteByte(',')
			}
			write(&b, r)
		}
		b.WriteByte(']')
	}
	return b.String()
}

func writeString(b *strings.Builder, s string) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		panic(err)
	}
	b.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\\n")))
}

func writeFloat(b *strings.Builder, f float64, bits int) {
	switch {
	case math.IsNaN(f):
		b.WriteString(\`"NaN"\`)
	case math.IsInf(f, 1):
		b.WriteString(\`"Infinity"\`)
	case math.IsInf(f, -1):
		b.WriteString(\`"-Infinity"\`)
	default:
		// -0 prints as "-0".
		b.WriteString(strconv.FormatFloat(f, 'g', -1, bits))
	}
}

// fieldName is the JSON name of an exported struct field, or "" to skip it.
func fieldName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

type mapEntry struct {
	key string
	v   reflect.Value
	k   reflect.Value
}

func write(b *strings.Builder, v reflect.Value) {
	switch v.Kind() {
	case reflect.Bool:
		b.WriteString(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		b.WriteString(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		b.WriteString(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32:
		writeFloat(b, v.Float(), 32)
	case reflect.Float64:
		writeFloat(b, v.Float(), 64)
	case reflect.String:
		writeString(b, v.String())
	case reflect.Slice:
		if v.Type().Elem() == byteType {
			b.WriteByte('"')
			b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes()))
			b.WriteByte('"')
			return
		}
		writeList(b, v)
	case reflect.Array:
		writeList(b, v)
	case reflect.Map:
		entries := make([]mapEntry, 0, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			k := iter.Key()
			var key string
			switch k.Kind() {
			case reflect.String:
				key = k.String()
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				key = strconv.FormatInt(k.Int(), 10)
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
				key = strconv.FormatUint(k.Uint(), 10)
			case reflect.Bool:
				key = strconv.FormatBool(k.Bool())
			case reflect.Float32:
				key = strconv.FormatFloat(k.Float(), 'g', -1, 32)
			case reflect.Float64:
				key = strconv.FormatFloat(k.Float(), 'g', -1, 64)
			default:
				panic("harness: unsupported map key type " + k.Type().String())
			}
			entries = append(entries, mapEntry{key, iter.Value(), k})
		}
		sort.Slice(entries, func(i, j int) bool {
			a, c := entries[i].k, entries[j].k
			switch a.Kind() {
			case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
				return a.Int() < c.Int()
			case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
				return a.Uint() < c.Uint()
			case reflect.Float32, reflect.Float64:
				return a.Float() < c.Float()
			case reflect.Bool:
				return !a.Bool() && c.Bool()
			}
			return entries[i].key < entries[j].key
		})
		b.WriteByte('{')
		for i, e := range entries {
			if i > 0 {
				b.WriteByte(',')
			}
			writeString(b, e.key)
			b.WriteByte(':')
			write(b, e.v)
		}
		b.WriteByte('}')
	case reflect.Struct:
		t := v.Type()
		b.WriteByte('{')
		first := true
		for i := 0; i < t.NumField(); i++ {
			name := fieldName(t.Field(i))
			if name == "" {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			writeString(b, name)
			b.WriteByte(':')
			write(b, v.Field(i))
		}
		b.WriteByte('}')
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		write(b, v.Elem())
	default:
		panic("harness: unsupported result type " + v.Type().String())
	}
}

func writeList(b *strings.Builder, v reflect.Value) {
	b.WriteByte('[')
	for i := 0; i < v.Len(); i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		write(b, v.Index(i))
	}
	b.WriteByte(']')
}
`;

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; input?: string },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => stdout.push(d));
    child.stderr.on("data", (d: Buffer) => stderr.push(d));
    child.on("error", reject);
    child.on("close", (code, signal) =>
      resolvePromise({
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8") + (signal ? `\n(killed by ${signal})` : ""),
      }),
    );
    child.stdin.on("error", () => {}); // a crashing child closes stdin early; the exit code reports it
    child.stdin.end(opts.input ?? "");
  });
}

// ---------------------------------------------------------------------------
// JSON with the source text of numbers, and structural comparison.
// ---------------------------------------------------------------------------

export type JsonNode = { start: number; end: number } & (
  | { t: "null" }
  | { t: "bool"; v: boolean }
  /** `text` is the number exactly as written. */
  | { t: "num"; text: string }
  | { t: "str"; v: string }
  | { t: "arr"; items: JsonNode[] }
  | { t: "obj"; entries: Array<[string, JsonNode]> }
);

/** Parses JSON text keeping each number's source text and each node's source span. Throws on invalid JSON. */
export function parseJsonWithSource(text: string): JsonNode {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${i}: ${JSON.stringify(text.slice(i, i + 20))}`);
  };
  const ws = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i++;
  };
  const NUM = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  // JSON.parse below rejects control characters and bad escapes.
  const STR = /"(?:[^"\\]|\\.)*"/y;
  const value = (): JsonNode => {
    ws();
    const start = i;
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: Array<[string, JsonNode]> = [];
      ws();
      if (text[i] === "}") {
        i++;
        return { t: "obj", entries, start, end: i };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a string key");
        const key = value();
        if (key.t !== "str") fail("expected a string key");
        ws();
        if (text[i] !== ":") fail("expected ':'");
        i++;
        entries.push([(key as { v: string }).v, value()]);
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return { t: "obj", entries, start, end: i };
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === "[") {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return { t: "arr", items, start, end: i };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return { t: "arr", items, start, end: i };
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') {
      STR.lastIndex = i;
      const m = STR.exec(text);
      if (!m) fail("invalid string");
      let v: string;
      try {
        v = JSON.parse(m![0]) as string;
      } catch {
        return fail("invalid string");
      }
      i += m![0].length;
      return { t: "str", v, start, end: i };
    }
    for (const [word, node] of [
      ["null", { t: "null" }],
      ["true", { t: "bool", v: true }],
      ["false", { t: "bool", v: false }],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return { ...node, start, end: i } as JsonNode;
      }
    }
    NUM.lastIndex = i;
    const m = NUM.exec(text);
    if (!m) fail("unexpected character");
    i += m![0].length;
    return { t: "num", text: m![0], start, end: i };
  };
  const root = value();
  ws();
  if (i !== text.length) fail("trailing characters");
  return root;
}

/**
 * Reads an invoke-cases file (`{"<id>": [[args...], ...]}`) keeping each
 * argument array's raw JSON text, so that big integers survive.
 */
export function parseInvokeCases(text: string): Record<string, string[]> {
  const root = parseJsonWithSource(text);
  if (root.t !== "obj") throw new Error("invoke cases: the root must be an object");
  const out: Record<string, string[]> = {};
  for (const [id, list] of root.entries) {
    if (list.t !== "arr") throw new Error(`invoke cases: \`${id}\` must map to an array of argument arrays`);
    out[id] = list.items.map((c) => {
      if (c.t !== "arr") throw new Error(`invoke cases: every case of \`${id}\` must be a JSON array`);
      return text.slice(c.start, c.end);
    });
  }
  return out;
}

const INT_TEXT = /^-?\d+$/;

function numbersEqual(a: string, b: string, float32: boolean): boolean {
  const x = Number(a);
  const y = Number(b);
  // "-0" is an integer text but must differ from "0".
  if (INT_TEXT.test(a) && INT_TEXT.test(b) && !Object.is(x, -0) && !Object.is(y, -0)) return BigInt(a) === BigInt(b);
  if (Object.is(x, y)) return true;
  if (float32) {
    // Go prints a float32 with 32-bit shortest formatting ("0.1"); JS prints its float64 widening ("0.10000000149011612").
    const fx = Math.fround(x);
    return Object.is(fx, Math.fround(y)) && (Object.is(fx, x) || Object.is(fx, y));
  }
  return false;
}

function nodesEqual(a: JsonNode, b: JsonNode, float32: boolean): boolean {
  switch (a.t) {
    case "null":
      return b.t === "null";
    case "bool":
      return b.t === "bool" && a.v === b.v;
    case "str":
      return b.t === "str" && a.v === b.v;
    case "num":
      return b.t === "num" && numbersEqual(a.text, b.text, float32);
    case "arr":
      return (
        b.t === "arr" &&
        a.items.length === b.items.length &&
        a.items.every((x, i) => nodesEqual(x, b.items[i]!, float32))
      );
    case "obj": {
      if (b.t !== "obj") return false;
      const bm = new Map(b.entries);
      const am = new Map(a.entries);
      if (am.size !== bm.size) return false;
      for (const [k, v] of am) {
        const w = bm.get(k);
        if (w === undefined || !nodesEqual(v, w, float32)) return false;
      }
      return true;
    }
  }
}

/**
 * Structural equality of two canonical JSON texts: object key order does not
 * matter; integers (texts without `.`/`e`) compare exactly as BigInt; other
 * numbers compare as float64 with Object.is semantics (so `-0` differs from
 * `0`, and `1e-07` equals `1e-7`); "NaN"/"Infinity" are plain strings.
 * `float32: true` also accepts two numbers that round to the same float32 when
 * one of them is exactly that float32 (Go prints float32 results with 32-bit
 * shortest formatting, JS prints their float64 widening); use it only for
 * fragments with float32 results.
 */
export function canonicalEqual(a: string, b: string, opts: { float32?: boolean } = {}): boolean {
  return nodesEqual(parseJsonWithSource(a), parseJsonWithSource(b), opts.float32 === true);
}
