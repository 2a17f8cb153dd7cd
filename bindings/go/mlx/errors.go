package mlx

// #include <radixlm/radixlm.h>
import "C"

import "fmt"

// The specification's error codes (MLX_ERROR_* in mlx_runtime.h).
const (
	CodeInvalidHandle     = -1
	CodeOutOfMemory       = -2
	CodeInvalidTokens     = -3
	CodeComputationFailed = -4
	CodeModelNotLoaded    = -5
)

// Error is the error every function of this package returns: Code is one
// of the Code* values above, Status the native rlm_status behind it (0 when
// the error arose in Go) and Msg what was wrong.
//
// errors.Is(err, ErrInvalidHandle) (and the other sentinels) matches any
// *Error with the sentinel's Code.
type Error struct {
	Code   int
	Status int
	Msg    string

	sentinel bool
}

func (e *Error) Error() string {
	if e.Msg == "" {
		return "mlx: " + codeName(e.Code)
	}
	return fmt.Sprintf("mlx: %s: %s", codeName(e.Code), e.Msg)
}

// Is reports whether target is the sentinel of e's code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.sentinel && t.Code == e.Code
}

// Sentinels for errors.Is.
var (
	ErrInvalidHandle     = &Error{Code: CodeInvalidHandle, sentinel: true}
	ErrOutOfMemory       = &Error{Code: CodeOutOfMemory, sentinel: true}
	ErrInvalidTokens     = &Error{Code: CodeInvalidTokens, sentinel: true}
	ErrComputationFailed = &Error{Code: CodeComputationFailed, sentinel: true}
	ErrModelNotLoaded    = &Error{Code: CodeModelNotLoaded, sentinel: true}
)

func codeName(code int) string {
	switch code {
	case CodeInvalidHandle:
		return "invalid cache handle"
	case CodeOutOfMemory:
		return "out of memory"
	case CodeInvalidTokens:
		return "invalid tokens"
	case CodeComputationFailed:
		return "computation failed"
	case CodeModelNotLoaded:
		return "model not loaded"
	}
	return fmt.Sprintf("error %d", code)
}

// codeOfStatus maps a native rlm_status to the specification's code.
func codeOfStatus(status C.int) int {
	switch status {
	case C.RLM_NOT_FOUND:
		return CodeInvalidHandle
	case C.RLM_INVALID_ARGUMENT:
		return CodeInvalidTokens
	case C.RLM_RESOURCE_EXHAUSTED:
		return CodeOutOfMemory
	}
	return CodeComputationFailed
}

// nativeError turns a failed native call's status and message (which it
// frees) into an *Error.
func nativeError(status C.int, msg *C.char) *Error {
	e := &Error{Code: codeOfStatus(status), Status: int(status)}
	if msg != nil {
		e.Msg = C.GoString(msg)
		C.rlm_free_error(msg)
	} else {
		e.Msg = C.GoString(C.rlm_status_string(status))
	}
	return e
}

func newError(code int, format string, args ...interface{}) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}
