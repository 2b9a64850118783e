package dcmhost

import "fmt"

// FragmentError is every error Open and Call return. Code is one of
// docs/errors.md: DCM_FRAGMENT_ERROR (the fragment's own error result),
// DCM_FRAGMENT_PANIC (a panic or trap), DCM_BAD_ARGUMENTS, DCM_UNKNOWN_FRAGMENT,
// DCM_NOT_CALLABLE, DCM_NO_MODULE_FOR_SIDE, DCM_MANIFEST_INVALID,
// DCM_MANIFEST_UNSAFE_PATH, DCM_MODULE_MISSING, DCM_MODULE_CORRUPT.
type FragmentError struct {
	Code    string
	Message string
}

func (e *FragmentError) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, a ...any) *FragmentError {
	return &FragmentError{Code: code, Message: fmt.Sprintf(format, a...)}
}

const (
	codeFragmentError = "DCM_FRAGMENT_ERROR"
	codePanic         = "DCM_FRAGMENT_PANIC"
	codeBadArgs       = "DCM_BAD_ARGUMENTS"
	codeUnknown       = "DCM_UNKNOWN_FRAGMENT"
	codeNotCallable   = "DCM_NOT_CALLABLE"
	codeNoModule      = "DCM_NO_MODULE_FOR_SIDE"
	codeManifest      = "DCM_MANIFEST_INVALID"
	codeUnsafePath    = "DCM_MANIFEST_UNSAFE_PATH"
	codeMissing       = "DCM_MODULE_MISSING"
	codeCorrupt       = "DCM_MODULE_CORRUPT"
)
