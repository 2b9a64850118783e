package shared

import "hash/fnv"

// Checksum returns the 32-bit FNV-1a hash of data, used as the ETag of an
// uploaded product image.
func Checksum(data []byte) uint32 {
	h := fnv.New32a()
	_, _ = h.Write(data)
	return h.Sum32()
}

// XorBytes scrambles data with a one-byte key (a toy obfuscation for cached
// cart blobs). It returns a new slice; data is not modified.
func XorBytes(data []byte, key uint8) []byte {
	out := make([]byte, len(data))
	for i, c := range data {
		out[i] = c ^ key
	}
	return out
}
