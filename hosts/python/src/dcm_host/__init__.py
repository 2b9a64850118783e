"""Call the fragments of a dcm dist from Python: portable modules (WASM, via
wasmtime) in-process and native plugins (ctypes), dcm ABI version 1
(docs/abi.md of the dcm repository).

    import dcm_host
    dist = dcm_host.open_dist("dist")
    dist.call("add-i64", [2, 3])                 # 5, the WASM module
    dist.call("concat", ["a", "b"], on="server")  # the native plugin
"""
from .dist import Dist, Side, open_dist
from .errors import FragmentError
from .json_values import from_json, parse_json_args, to_json

__all__ = ["Dist", "FragmentError", "Side", "open_dist", "parse_json_args", "from_json", "to_json"]
__version__ = "0.1.0"
