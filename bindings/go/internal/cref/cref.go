// Package cref calls the C APIs directly (radixlm.h and mlx_runtime.h),
// with no Go layer in between: the reference the tests compare the mlx
// and radix packages against, and the C-only timings the benchmarks
// subtract to get the cgo overhead. (cgo is not allowed in _test.go files.)
package cref

/*
#cgo pkg-config: radixlm
#cgo LDFLAGS: -lmlx_runtime
#include <stdlib.h>
#include <time.h>
#include <radixlm/radixlm.h>
#include <radixlm/mlx_runtime.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

// Runs n exact-hit forwards of tokens from the root (each handle freed)
// and returns the nanoseconds taken, or -status on failure.
static int64_t forward_loop(rlm_engine* e, const int32_t* tokens, size_t n_tokens,
                            float* logits, size_t logits_size, int64_t n) {
  int64_t t0 = now_ns();
  for (int64_t i = 0; i < n; i++) {
    uint64_t h = 0;
    int st = rlm_forward_with_cache(&h, e, 0, tokens, n_tokens, logits, logits_size, NULL);
    if (st != RLM_OK) return -st;
    rlm_free_cache(e, h);
  }
  return now_ns() - t0;
}

// Runs n prefix matches of tokens (each handle freed); nanoseconds taken.
static int64_t match_loop(rlm_engine* e, const int32_t* tokens, size_t n_tokens, int64_t n) {
  int64_t t0 = now_ns();
  for (int64_t i = 0; i < n; i++) {
    uint64_t h = 0;
    size_t len = 0;
    int st = rlm_match_prefix(&h, &len, e, 0, tokens, n_tokens, NULL);
    if (st != RLM_OK) return -st;
    rlm_free_cache(e, h);
  }
  return now_ns() - t0;
}
*/
import "C"

import (
	"fmt"
	"time"
	"unsafe"
)

// Engine is an engine reached with plain C calls.
type Engine struct {
	e     *C.rlm_engine
	owned bool
}

// Open loads a model into a new engine of threads compute threads.
func Open(path string, threads uint32) (*Engine, error) {
	var opts C.rlm_engine_options
	C.rlm_engine_options_init(&opts)
	opts.threads = C.uint32_t(threads)
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var e *C.rlm_engine
	var msg *C.char
	if st := C.rlm_engine_new(&e, cpath, &opts, &msg); st != C.RLM_OK {
		defer C.rlm_free_error(msg)
		return nil, fmt.Errorf("rlm_engine_new: %d %s", int(st), C.GoString(msg))
	}
	return &Engine{e: e, owned: true}, nil
}

// Wrap views an engine owned elsewhere (an *C.rlm_engine as unsafe.Pointer).
func Wrap(e unsafe.Pointer) *Engine { return &Engine{e: (*C.rlm_engine)(e)} }

// Close frees an engine that Open created.
func (e *Engine) Close() {
	if e.owned {
		C.rlm_engine_free(e.e)
	}
	e.e = nil
}

// Forward calls rlm_forward_with_cache; it returns the new handle and the
// rlm_status.
func (e *Engine) Forward(base uint64, tokens []int32, logits []float32) (uint64, int) {
	var h C.uint64_t
	st := C.rlm_forward_with_cache(&h, e.e, C.uint64_t(base),
		(*C.int32_t)(unsafe.Pointer(&tokens[0])), C.size_t(len(tokens)),
		(*C.float)(unsafe.Pointer(&logits[0])), C.size_t(len(logits)), nil)
	return uint64(h), int(st)
}

// Free calls rlm_free_cache.
func (e *Engine) Free(h uint64) { C.rlm_free_cache(e.e, C.uint64_t(h)) }

// ForwardLoop times n exact-hit forwards of tokens from the root in one C
// loop (no cgo transition per call).
func (e *Engine) ForwardLoop(tokens []int32, logits []float32, n int) (time.Duration, error) {
	ns := C.forward_loop(e.e, (*C.int32_t)(unsafe.Pointer(&tokens[0])), C.size_t(len(tokens)),
		(*C.float)(unsafe.Pointer(&logits[0])), C.size_t(len(logits)), C.int64_t(n))
	if ns < 0 {
		return 0, fmt.Errorf("rlm_forward_with_cache: status %d", -int(ns))
	}
	return time.Duration(ns), nil
}

// MatchLoop times n prefix matches of tokens in one C loop.
func (e *Engine) MatchLoop(tokens []int32, n int) (time.Duration, error) {
	ns := C.match_loop(e.e, (*C.int32_t)(unsafe.Pointer(&tokens[0])), C.size_t(len(tokens)),
		C.int64_t(n))
	if ns < 0 {
		return 0, fmt.Errorf("rlm_match_prefix: status %d", -int(ns))
	}
	return time.Duration(ns), nil
}

// MLXLoad calls MLXLoadModel (the process's one MLX model).
func MLXLoad(path string) int {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	return int(C.MLXLoadModel(cpath, 0))
}

// MLXForward calls MLXForwardWithCache on the current MLX model; it returns
// the new handle and the MLX code.
func MLXForward(base uint64, tokens []uint32, logits []float32) (uint64, int) {
	var h C.uint64_t
	st := C.MLXForwardWithCache(0, (*C.uint32_t)(unsafe.Pointer(&tokens[0])), C.int(len(tokens)),
		C.uint64_t(base), (*C.float)(unsafe.Pointer(&logits[0])), C.int(len(logits)), &h, nil)
	return uint64(h), int(st)
}

// MLXFree calls MLXFreeCache.
func MLXFree(h uint64) { C.MLXFreeCache(C.uint64_t(h)) }
