// Package shared holds small helpers that both the shop's web frontend and its
// backend need: hashing, IDs, text and byte utilities.
package shared

import (
	"crypto/sha256"
	"encoding/hex"
)

// GetHash returns the hex-encoded SHA-256 digest of s.
func GetHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
