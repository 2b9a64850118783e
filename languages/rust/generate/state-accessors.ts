/**
 * Rust source of the state accessors (issue 12, docs/state.md): for each
 * group part the generator is asked for (GenerateRequest.stateGroups), a
 * `get` export (no arguments → the state record: every var's value, in
 * `vars` order) and a `set` export (the record → nothing: every var
 * replaced as a whole), with the buffer ABI of a fragment export
 * (docs/abi.md) on both targets.
 *
 * The exports live at the end of the crate root; what reads and assigns a
 * var lives at the end of the var's own file (`__dcm_state_get_<h>` /
 * `__dcm_state_set_<h>`), so private statics and the types as written there
 * stay in scope. Each module between the root and that file re-exports the
 * two helpers `pub(crate)`, so a static in a private module of a private
 * module is reachable without changing the user's visibility.
 *
 * Locks are taken in both accessors; a poisoned Mutex/RwLock or a RefCell
 * already borrowed gives a status-1 frame (DCM_FRAGMENT_ERROR naming the
 * var), never a panic. `set` decodes every field before it assigns any.
 * Known limitations: a `set` that fails on its second var (poisoned) has
 * already replaced the first; thread-local vars are those of the calling
 * thread (dcm's hosts call a module from one thread).
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join, posix } from "node:path";
import type { StateAccessorRequest, StateVar } from "../../../src/languages/adapter-types.js";
import type { TypeTable } from "../../../runtime/abi/value-types.js";
import type { RustStateDetail } from "../rust-types.js";
import type { RustTarget } from "./build-spec.js";
import { noMangle } from "./wrappers.js";

const ABI = "crate::zz_dcm_abi";
const RESULT = "::std::result::Result<(), ::std::string::String>";
// `dyn FnOnce` (the prelude's name): edition 2015 reads `dyn ::std::…` as a path.
const APPLY = `::std::boxed::Box<dyn FnOnce() -> ${RESULT}>`;
const ALLOW = "#[allow(dead_code, non_snake_case, unused_mut, unused_unsafe, clippy::all)]";

export function stateDetail(v: StateVar): RustStateDetail {
  const d = v.detail as RustStateDetail | undefined;
  if (!d?.access) throw new Error(`dcm rust generator: state var ${v.key} has no Rust detail (not from the Rust analysis)`);
  return d;
}

function suffix(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 12);
}

const getName = (v: StateVar) => `__dcm_state_get_${suffix(v.key)}`;
const setName = (v: StateVar) => `__dcm_state_set_${suffix(v.key)}`;

/** The path of a helper from anywhere in the crate (through the re-exports). */
function helperPath(d: RustStateDetail, fn: string): string {
  return ["crate", ...d.modPath.slice(0, 1), fn].join("::");
}

/** The two helpers appended to the var's own file. */
export function renderStateHelpers(v: StateVar): string {
  const d = stateDetail(v);
  const where = `${d.name} (${v.pos.file}:${v.pos.line})`;
  const poisoned = JSON.stringify(`dcm: the state var ${where} is poisoned: a call panicked while holding its lock`);
  const borrowed = JSON.stringify(`dcm: the state var ${where} is borrowed by running code`);
  let get: string;
  let set: string;
  switch (d.access) {
    case "static-mut":
      get = `${ABI}::enc(unsafe { &*::std::ptr::addr_of!(${d.name}) }, e);\n    Ok(())`;
      set = `unsafe { *::std::ptr::addr_of_mut!(${d.name}) = v; }\n        Ok(())`;
      break;
    case "mutex":
    case "rwlock": {
      const [r, w] = d.access === "mutex" ? ["lock", "lock"] : ["read", "write"];
      get = `match ${d.name}.${r}() {\n        Ok(g) => {\n            ${ABI}::enc(&*g, e);\n            Ok(())\n        }\n        Err(_) => Err(::std::string::String::from(${poisoned})),\n    }`;
      set = `match ${d.name}.${w}() {\n            Ok(mut g) => {\n                *g = v;\n                Ok(())\n            }\n            Err(_) => Err(::std::string::String::from(${poisoned})),\n        }`;
      break;
    }
    case "atomic":
      get = `${ABI}::enc(&${d.name}.load(::std::sync::atomic::Ordering::SeqCst), e);\n    Ok(())`;
      set = `${d.name}.store(v, ::std::sync::atomic::Ordering::SeqCst);\n        Ok(())`;
      break;
    case "cell":
      // Cell::get needs Copy; the value is only read, on this thread, while nothing else runs.
      get = `${d.name}.with(|c| ${ABI}::enc(unsafe { &*c.as_ptr() }, e));\n    Ok(())`;
      set = `${d.name}.with(|c| c.set(v));\n        Ok(())`;
      break;
    case "refcell":
      get = `${d.name}.with(|c| match c.try_borrow() {\n        Ok(g) => {\n            ${ABI}::enc(&*g, e);\n            Ok(())\n        }\n        Err(_) => Err(::std::string::String::from(${borrowed})),\n    })`;
      set = `${d.name}.with(|c| match c.try_borrow_mut() {\n            Ok(mut g) => {\n                *g = v;\n                Ok(())\n            }\n            Err(_) => Err(::std::string::String::from(${borrowed})),\n        })`;
      break;
  }
  return [
    `// dcm: state var ${v.key}, read and replaced by its group's accessors`,
    "#[doc(hidden)]",
    ALLOW,
    `pub(crate) fn ${getName(v)}(e: &mut ${ABI}::Enc) -> ${RESULT} {`,
    `    ${get}`,
    "}",
    "#[doc(hidden)]",
    ALLOW,
    `pub(crate) fn ${setName(v)}(d: &mut ${ABI}::Dec, field: &str) -> ${ABI}::DResult<${APPLY}> {`,
    `    let v: ${d.typeText} = ${ABI}::arg(d, field)?;`,
    "    Ok(::std::boxed::Box::new(move || {",
    `        ${set}`,
    "    }))",
    "}",
    "",
  ].join("\n");
}

/**
 * `pub(crate) use` lines that lift a var's helpers from its module up to the
 * root's child module: [repo-relative file of the module, text].
 */
export function stateReexports(v: StateVar, repo: string, root: string): Array<[string, string]> {
  const d = stateDetail(v);
  const out: Array<[string, string]> = [];
  for (let i = d.modPath.length - 1; i >= 1; i--) {
    const file = moduleFile(repo, root, d.modPath.slice(0, i));
    if (!file) throw new Error(`dcm rust generator: no file for module ${d.modPath.slice(0, i).join("::")} (state var ${v.key})`);
    out.push([file, `#[doc(hidden)]\n#[allow(unused_imports)]\npub(crate) use self::${d.modPath[i]}::{${getName(v)}, ${setName(v)}};\n`]);
  }
  return out;
}

function moduleFile(repo: string, root: string, path: string[]): string | undefined {
  const base = posix.join(posix.dirname(root), ...path);
  return [`${base}.rs`, `${base}/mod.rs`].find((f) => existsSync(join(repo, f)));
}

/** The group's `get` and `set` exports (appended to the crate root). */
export function renderStateExports(g: StateAccessorRequest, types: TypeTable, target: RustTarget, edition: string): string {
  const fields = types[g.record]?.fields ?? [];
  const field = (i: number) => `state.${fields[i]?.name ?? g.vars[i]!.name}`;
  const sig = (name: string) =>
    target === "native" ? `pub extern "C" fn ${name}(ctx: *mut ${ABI}::Ctx, len: i32) -> i32 {` : `pub extern "C" fn ${name}(len: i32) -> i32 {`;
  const runner = target === "native" ? `${ABI}::call(ctx, len, |d, e| {` : `${ABI}::call(len, |d, e| {`;
  const head = (id: string) => [`// dcm: state accessor ${JSON.stringify(id)} (${g.vars.map((v) => v.key).join(", ")})`, ALLOW, noMangle(edition)];
  const get = [
    ...head(g.get.id),
    sig(g.get.export),
    `    ${runner}`,
    `        ${ABI}::end(d)?;`,
    `        let r = (|| -> ${RESULT} {`,
    ...g.vars.map((v) => `            ${helperPath(stateDetail(v), getName(v))}(e)?;`),
    "            Ok(())",
    "        })();",
    "        if let Err(m) = r {",
    `            e.fail(${ABI}::STATUS_ERROR, &m);`,
    "        }",
    "        Ok(())",
    "    })",
    "}",
    "",
  ];
  const set = [
    ...head(g.set.id),
    sig(g.set.export),
    `    ${runner}`,
    ...g.vars.map((v, i) => `        let s${i} = ${helperPath(stateDetail(v), setName(v))}(d, ${JSON.stringify(field(i))})?;`),
    `        ${ABI}::end(d)?;`,
    ...g.vars.flatMap((_, i) => [`        if let Err(m) = s${i}() {`, `            e.fail(${ABI}::STATUS_ERROR, &m);`, "            return Ok(());", "        }"]),
    "        Ok(())",
    "    })",
    "}",
    "",
  ];
  return [...get, ...set].join("\n");
}
