package parity

import (
	"strings"
	"unicode/utf8"
)

// Concat joins two strings.
func Concat(a, b string) string {
	return a + b
}

// ReverseString reverses s by code point (combining marks and emoji
// sequences are split into their code points).
func ReverseString(s string) string {
	runes := []rune(s)
	for i, j := 0, len(runes)-1; i < j; i, j = i+1, j-1 {
		runes[i], runes[j] = runes[j], runes[i]
	}
	return string(runes)
}

// Utf8Len is the length of s in UTF-8 bytes.
func Utf8Len(s string) int32 {
	return int32(len(s))
}

// UpperASCII upper-cases a–z and leaves every other character as it is.
func UpperASCII(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CountWords counts runs of characters other than space, tab, CR and LF.
func CountWords(s string) int32 {
	var n int32
	inWord := false
	for _, r := range s {
		space := r == ' ' || r == '\t' || r == '\n' || r == '\r'
		if !space && !inWord {
			n++
		}
		inWord = !space
	}
	return n
}

// BytesXor XORs every byte with key.
func BytesXor(data []byte, key uint8) []byte {
	out := make([]byte, len(data))
	for i, c := range data {
		out[i] = c ^ key
	}
	return out
}

// CodePoints counts the code points of s (not its UTF-8 bytes).
func CodePoints(s string) int32 {
	return int32(utf8.RuneCountInString(s))
}
