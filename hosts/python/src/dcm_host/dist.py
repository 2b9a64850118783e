"""A dist folder (`dcm build --out <dir>`) opened for calls."""
from __future__ import annotations

import difflib
import os
import threading
from typing import Any, Dict, List, Literal, Mapping, Optional, Sequence, Union

from .errors import FragmentError
from .manifest import check_path, fragment_modules, load_manifest, read_module
from .native_module import NativeModule
from .output import OutputHandler, default_output
from .wasm_module import WasmModule

Side = Literal["client", "server"]
_Module = Union[WasmModule, NativeModule]


class Dist:
    """The fragments of one dist. Open it with :func:`open_dist`."""

    def __init__(self, path: str, on_output: Optional[OutputHandler] = None) -> None:
        self.path = os.path.abspath(path)
        self.manifest: Dict[str, Any] = load_manifest(self.path)
        self.types: Mapping[str, Any] = self.manifest["types"]
        self.fragments: List[Dict[str, Any]] = self.manifest["fragments"]
        self._by_id: Dict[str, Dict[str, Any]] = {f["id"]: f for f in self.fragments}
        self._holders = fragment_modules(self.manifest)
        self._on_output = on_output or default_output
        self._loaded: Dict[str, _Module] = {}
        self._load_lock = threading.Lock()

    def fragment(self, id_or_name: str) -> Dict[str, Any]:
        """The manifest entry of a fragment, by its id, else its symbol (``Func``, ``Type.Method``),
        else a method's bare name; a name several fragments share is refused."""
        if id_or_name in self._by_id:
            return self._by_id[id_or_name]
        found = [f for f in self.fragments if f.get("symbol") == id_or_name]
        if not found and "." not in id_or_name:
            found = [f for f in self.fragments if f.get("kind") == "method" and str(f.get("symbol", "")).rsplit(".", 1)[-1] == id_or_name]
        if len(found) == 1:
            return found[0]
        if found:
            listed = ", ".join(f"`{f['id']}` ({f['language']} {f['kind']} {f['symbol']})" for f in found[:30])
            raise FragmentError("DCM_UNKNOWN_FRAGMENT", f"`{id_or_name}` names {len(found)} fragments in {self.path}: {listed}. Call one of them by its id.", id_or_name)
        names = list(self._by_id) + [str(f.get("symbol")) for f in self.fragments]
        close = difflib.get_close_matches(id_or_name, names, n=5, cutoff=0.6)
        hint = f" Did you mean {' or '.join(f'`{c}`' for c in close)}?" if close else ""
        raise FragmentError("DCM_UNKNOWN_FRAGMENT", f"No fragment with the id or name `{id_or_name}` in {self.path}.{hint} (fragments: {', '.join(list(self._by_id)[:30])})", id_or_name)

    def call(self, fragment: str, args: Sequence[Any] = (), on: Side = "client") -> Any:
        """Calls a fragment with Python values (see the README's value table).

        ``on="client"`` runs the portable module (WASM) in this process;
        ``on="server"`` the native plugin, or the portable module where the
        language has no native target. Returns None (no result), the value,
        or a tuple (several results). Raises :class:`FragmentError`.
        """
        f = self.fragment(fragment)
        mod = self._module_for(f, on)
        return mod.call(f, args)

    def call_raw(self, fragment: str, args: bytes, on: Side = "client") -> bytes:
        """Feeds encoded argument bytes to a buffer-ABI fragment and returns its raw result frame
        (status byte first). For conformance tests and debugging."""
        f = self.fragment(fragment)
        if f.get("abi") != "buffer":
            raise FragmentError("DCM_BAD_ARGUMENTS", f"fragment {f['id']} uses the {f.get('abi')} ABI; raw calls need the buffer ABI", f["id"])
        return self._module_for(f, on).raw_call(f, bytes(args))

    def _module_for(self, f: Mapping[str, Any], on: str) -> _Module:
        fid = f["id"]
        if on not in ("client", "server"):
            raise FragmentError("DCM_INVALID_SIDE", f"on={on!r}: a location must be \"client\" or \"server\"", fid)
        if not f.get("signature") or "export" not in f:
            reason = f.get("notCallable") or f"it is a {f.get('kind')}, not a function or method"
            raise FragmentError("DCM_NOT_CALLABLE", f"fragment {fid} cannot be called: {reason}", fid)
        holders = self._holders.get(fid, [])
        wasm = [m for m in holders if m.get("target") == "wasm"]
        native = [m for m in holders if m.get("target") == "native" and "server" in m.get("sides", [])]
        if on == "client":
            chosen = [m for m in wasm if "client" in m.get("sides", [])] or wasm
        else:
            chosen = native or wasm
        if not chosen:
            have = ", ".join(f"{m.get('file')} ({m.get('target')})" for m in holders) or "none"
            raise FragmentError(
                "DCM_NO_MODULE_FOR_SIDE",
                f"fragment {fid} has no WASM module or native plugin for the {on} in {self.path} (modules holding it: {have}); "
                "this host runs dcm ABI modules only, not `js` target modules",
                fid,
            )
        return self._load(chosen[0])

    def _load(self, m: Mapping[str, Any]) -> _Module:
        rel = m["file"]
        with self._load_lock:
            mod = self._loaded.get(rel)
            if mod is not None:
                return mod
            data = read_module(self.path, m)
            fragments = [self._by_id[i] for i in m.get("fragments", []) if i in self._by_id]
            if m.get("target") == "native":
                # ctypes loads from a path: the bytes just checked are the file's (a dist is not
                # rewritten while it is open; `dcm build` replaces it as a whole).
                mod = NativeModule(check_path(self.path, rel), os.path.join(self.path, rel), self.types, fragments, self._on_output)
            else:
                mod = WasmModule(data, os.path.join(self.path, rel), self.types, self._on_output)
            self._loaded[rel] = mod
            return mod

    def close(self) -> None:
        """Drops the module instances and frees the native contexts. Do not call it while calls run."""
        with self._load_lock:
            mods, self._loaded = list(self._loaded.values()), {}
        for mod in mods:
            mod.close()

    def __enter__(self) -> "Dist":
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.close()


def open_dist(path: Union[str, "os.PathLike[str]"], *, on_output: Optional[OutputHandler] = None) -> Dist:
    """Opens a dist folder: reads manifest.json and checks its file paths. Each module is
    read, checked against the manifest's sha256 and loaded when a call first needs it.

    ``on_output(fragment_id, stream, text)`` receives what modules capture of their own
    prints (Rust modules, Go native plugins); default: this process's sys.stdout/sys.stderr.
    WASI modules (Go and AssemblyScript WASM) write to the inherited file descriptors 1 and 2.
    """
    return Dist(os.fspath(path), on_output)
