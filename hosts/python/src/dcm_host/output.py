"""Output frames (docs/abi.md "Output"): what a module captured of its own prints."""
from __future__ import annotations

import struct
import sys
from typing import Callable, List, Tuple

#: Called with (fragment id, stream "stdout" | "stderr", text) for output a module captured itself.
OutputHandler = Callable[[str, str, str], None]


def read_output_frame(frame: bytes) -> Tuple[List[Tuple[str, str]], int]:
    """([(stream, text)], bytes dropped) of an output frame; a truncated record ends the frame."""
    chunks: List[Tuple[str, str]] = []
    dropped = 0
    pos = 0
    while pos + 5 <= len(frame):
        kind = frame[pos]
        n = struct.unpack_from("<I", frame, pos + 1)[0]
        pos += 5
        if kind == 3:
            dropped += n
            continue
        text = frame[pos:pos + n].decode("utf-8", errors="replace")
        pos += n
        if kind in (1, 2):
            chunks.append(("stdout" if kind == 1 else "stderr", text))
    return chunks, dropped


def default_output(fragment: str, stream: str, text: str) -> None:
    """Writes a module's captured output to this process's sys.stdout / sys.stderr, unprefixed,
    like the WASI modules' output, which goes straight to the inherited file descriptors."""
    f = sys.stdout if stream == "stdout" else sys.stderr
    f.write(text)
    f.flush()


def deliver(frame: bytes, fragment: str, handler: OutputHandler) -> None:
    chunks, dropped = read_output_frame(frame)
    for stream, text in chunks:
        handler(fragment, stream, text)
    if dropped:
        handler(fragment, "stderr", f"[dcm: {dropped} bytes of output dropped]\n")
