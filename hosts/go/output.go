package dcmhost

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// write hands an output frame (docs/abi.md, "Output") of a module
// that captures its own prints to the process's stdout and stderr, like
// the WASI modules' fd_write.
func (o output) write(frame []byte) {
	for len(frame) >= 5 {
		kind, n := frame[0], int(binary.LittleEndian.Uint32(frame[1:5]))
		frame = frame[5:]
		if kind == 3 {
			fmt.Fprintf(o.stderr, "[dcm: %d bytes of output dropped]\n", n)
			continue
		}
		if n > len(frame) {
			return
		}
		text := strings.ToValidUTF8(string(frame[:n]), "\uFFFD")
		frame = frame[n:]
		if kind == 1 {
			io.WriteString(o.stdout, text)
		} else {
			io.WriteString(o.stderr, text)
		}
	}
}
