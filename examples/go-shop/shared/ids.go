package shared

import "github.com/google/uuid"

// StableID derives a name-based (version 5, SHA-1) UUID from s, so that the
// same product URL always gets the same ID on every machine.
func StableID(s string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(s)).String()
}
