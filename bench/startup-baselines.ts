/**
 * What bench/startup.ts measures dcm against, built in the same run:
 *  - `golist`: a bare Go binary that walks a repository with dcm's own rules
 *    (src/cfd/resolve-files.ts listRepoFiles: the same skipped folders, the
 *    extensions of every registered language) and prints the files, sorted;
 *  - `goparse`: the same walk, plus go/parser over every .go file (what the
 *    paper's reference analyser, a Go binary, does before it looks at a CFD);
 *  - `measure`: a Go runner that starts commands round-robin and reports each
 *    run's wall time and CPU time (user + system of the child), so that the
 *    figures carry no Node spawn overhead and CPU time is taken from the
 *    kernel, not guessed.
 * Each is compiled once per run into a temporary folder (Go's build cache
 * makes that fast after the first time).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { benchTmp } from "./bench-util.js";

const run = promisify(execFile);

const WALK = `
var skipDirs = map[string]bool{".git": true, "node_modules": true, "vendor": true, "testdata": true, "target": true, "dist": true}

// walk lists the files dcm considers (src/cfd/resolve-files.ts): regular files
// with one of exts, outside skipped folders and folders starting with . or _.
func walk(root string, exts []string) []string {
	var files []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if p != root && (skipDirs[name] || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		for _, e := range exts {
			if strings.HasSuffix(name, e) {
				rel, _ := filepath.Rel(root, p)
				files = append(files, filepath.ToSlash(rel))
				break
			}
		}
		return nil
	})
	sort.Strings(files)
	return files
}
`;

const GOLIST = `package main

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)
${WALK}
// golist <repo> <.ext,.ext>: prints the files dcm considers, one a line.
func main() {
	files := walk(os.Args[1], strings.Split(os.Args[2], ","))
	w := bufio.NewWriter(os.Stdout)
	for _, f := range files {
		fmt.Fprintln(w, f)
	}
	w.Flush()
}
`;

const GOPARSE = `package main

import (
	"bufio"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)
${WALK}
// goparse <repo> <.ext,.ext>: golist, then go/parser over every .go file.
func main() {
	root := os.Args[1]
	files := walk(root, strings.Split(os.Args[2], ","))
	fset := token.NewFileSet()
	decls := 0
	for _, f := range files {
		if !strings.HasSuffix(f, ".go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(root, f), nil, parser.ParseComments)
		if err == nil {
			decls += len(file.Decls)
		}
	}
	w := bufio.NewWriter(os.Stdout)
	for _, f := range files {
		fmt.Fprintln(w, f)
	}
	fmt.Fprintln(w, decls, "declarations")
	w.Flush()
}
`;

const MEASURE = `package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"time"
)

type command struct {
	Name string   \`json:"name"\`
	Argv []string \`json:"argv"\`
	Env  []string \`json:"env"\`
}

type spec struct {
	Reps     int       \`json:"reps"\`
	Warmups  int       \`json:"warmups"\`
	Commands []command \`json:"commands"\`
}

type sample struct {
	WallMs float64 \`json:"wallMs"\`
	CPUMs  float64 \`json:"cpuMs"\`
	Code   int     \`json:"code"\`
}

// measure < spec.json: runs the commands round-robin (warm-up rounds first,
// unrecorded) and prints {name: [samples]} as JSON.
func main() {
	var s spec
	if err := json.NewDecoder(os.Stdin).Decode(&s); err != nil {
		panic(err)
	}
	out := map[string][]sample{}
	for i := 0; i < s.Warmups+s.Reps; i++ {
		for _, c := range s.Commands {
			cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
			cmd.Env = append(os.Environ(), c.Env...)
			t := time.Now()
			err := cmd.Run()
			wall := time.Since(t)
			code := 0
			if err != nil {
				code = -1
				if ee, ok := err.(*exec.ExitError); ok {
					code = ee.ExitCode()
				}
			}
			if i < s.Warmups || cmd.ProcessState == nil {
				continue
			}
			cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
			out[c.Name] = append(out[c.Name], sample{float64(wall.Microseconds()) / 1000, float64(cpu.Microseconds()) / 1000, code})
		}
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`;

export interface Baselines {
  golist: string;
  goparse: string;
  measure: string;
  dir: string;
}

/** Compiles the three programs into a fresh temporary folder (the caller removes `dir`). */
export async function buildBaselines(): Promise<Baselines> {
  await mkdir(benchTmp(), { recursive: true });
  const dir = await mkdtemp(join(benchTmp(), "startup-go-"));
  const out: Record<string, string> = {};
  for (const [name, source] of Object.entries({ golist: GOLIST, goparse: GOPARSE, measure: MEASURE })) {
    const src = join(dir, `${name}.go`);
    await writeFile(src, source);
    out[name] = join(dir, name);
    await run("go", ["build", "-o", out[name]!, src], { cwd: dir, env: { ...process.env, GO111MODULE: "off" } });
  }
  return { golist: out.golist!, goparse: out.goparse!, measure: out.measure!, dir };
}

export interface Sample {
  wallMs: number;
  cpuMs: number;
  code: number;
}

/** Runs `commands` round-robin through the measure program: samples per command name. */
export async function measure(
  runner: string,
  commands: Array<{ name: string; argv: string[]; env?: string[] }>,
  reps: number,
  warmups: number,
): Promise<Record<string, Sample[]>> {
  const spec = JSON.stringify({ reps, warmups, commands: commands.map((c) => ({ ...c, env: c.env ?? [] })) });
  return new Promise((resolve, reject) => {
    const child = execFile(runner, [], { maxBuffer: 64 << 20 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout) as Record<string, Sample[]>);
    });
    child.stdin!.end(spec);
  });
}
