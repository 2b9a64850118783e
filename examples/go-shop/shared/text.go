package shared

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Echo returns s unchanged (the smallest possible round trip, used by benchmarks).
func Echo(s string) string {
	return s
}

// normalize trims s and folds every run of white space into one space.
func normalize(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Slugify turns a product title into a URL slug: lower case, words joined by
// '-'. Letters and digits of every script are kept ("Grüße aus Köln" becomes
// "grüße-aus-köln"); other characters are dropped.
func Slugify(title string) string {
	var b strings.Builder
	pendingDash := false
	for _, r := range normalize(title) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if pendingDash && b.Len() > 0 {
				b.WriteByte('-')
			}
			pendingDash = false
			b.WriteRune(unicode.ToLower(r))
		case r == ' ' || r == '-' || r == '_':
			pendingDash = true
		}
	}
	return b.String()
}

// CountRunes reports the length of s in characters and in UTF-8 bytes.
func CountRunes(s string) (runes int, size int) {
	return utf8.RuneCountInString(s), len(s)
}

// FirstRune returns the first character of s (for avatar initials), or -1
// when s is empty.
func FirstRune(s string) rune {
	for _, r := range s {
		return r
	}
	return -1
}
