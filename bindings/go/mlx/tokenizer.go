package mlx

// #include <stdlib.h>
// #include <radixlm/radixlm.h>
import "C"

import "unsafe"

// Tokenize returns the token ids of UTF-8 text; addSpecial prepends BOS as
// the model's tokenizer does.
func (m *Model) Tokenize(text string, addSpecial bool) ([]uint32, error) {
	if err := m.acquire(); err != nil {
		return nil, err
	}
	defer m.mu.RUnlock()
	ctext := C.CString(text)
	defer C.free(unsafe.Pointer(ctext))
	special := C.int(0)
	if addSpecial {
		special = 1
	}
	// Byte fallback bounds the count by the bytes (+ BOS); retry once if not.
	tokens := make([]uint32, len(text)+2)
	for {
		var n C.size_t
		var msg *C.char
		st := C.rlm_tokenize(&n, m.eng, ctext, C.size_t(len(text)), special,
			(*C.int32_t)(unsafe.Pointer(&tokens[0])), C.size_t(len(tokens)), &msg)
		if st != C.RLM_OK {
			return nil, nativeError(st, msg)
		}
		if int(n) <= len(tokens) {
			return tokens[:n], nil
		}
		tokens = make([]uint32, n)
	}
}

// Detokenize decodes token ids to UTF-8 text.
func (m *Model) Detokenize(tokens []uint32) (string, error) {
	if len(tokens) == 0 {
		return "", nil
	}
	if err := m.acquire(); err != nil {
		return "", err
	}
	defer m.mu.RUnlock()
	buf := make([]byte, 16*len(tokens)+1)
	for {
		var n C.size_t
		var msg *C.char
		st := C.rlm_detokenize(&n, m.eng, tokensPtr(tokens), C.size_t(len(tokens)),
			(*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), &msg)
		if st != C.RLM_OK {
			return "", nativeError(st, msg)
		}
		if int(n) < len(buf) {
			return string(buf[:n]), nil
		}
		buf = make([]byte, n+1)
	}
}
