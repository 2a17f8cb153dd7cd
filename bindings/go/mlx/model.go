// Package mlx is the Go bridge to the radixlm engine (include/radixlm/radixlm.h),
// reached through cgo: models, and cache handles that name computed token
// sequences.
//
// A cache handle is a uint64 naming one immutable computed sequence (its KV
// and, where it was computed, its last token's logits); 0 is the empty
// sequence and is never freed. Handle ids are unique in the process, so
// SliceCache and FreeCache find a handle's model in a package registry.
//
// Linking: the package uses `#cgo pkg-config: radixlm`; point
// PKG_CONFIG_PATH at the build's build/src/capi (or at an installed
// PREFIX/lib/pkgconfig). The .pc file carries an rpath, so programs find
// libradixlm.so at run time without LD_LIBRARY_PATH.
//
// Thread safety: every function and method may be called from many
// goroutines at once; concurrent forwards are batched by the engine. Close
// waits for calls in flight on that model and makes later ones fail with
// ErrModelNotLoaded.
package mlx

/*
#cgo pkg-config: radixlm
#include <stdlib.h>
#include <radixlm/radixlm.h>

// Shims returning their out-parameters by value: out-parameters whose
// address Go passes to C escape to the heap (an allocation each per call).
typedef struct {
  uint64_t handle;
  size_t length;
  int status;
  char* error;
} rlm_go_result;

static rlm_go_result rlm_go_forward(rlm_engine* e, uint64_t ns, uint64_t base,
                                    const int32_t* tokens, size_t n_tokens, float* logits,
                                    size_t logits_size) {
  rlm_go_result r = {0, 0, 0, NULL};
  r.status = rlm_forward_with_cache_ns(&r.handle, e, ns, base, tokens, n_tokens, logits,
                                       logits_size, &r.error);
  return r;
}

static rlm_go_result rlm_go_match(rlm_engine* e, uint64_t ns, const int32_t* tokens,
                                  size_t n_tokens) {
  rlm_go_result r = {0, 0, 0, NULL};
  r.status = rlm_match_prefix(&r.handle, &r.length, e, ns, tokens, n_tokens, &r.error);
  return r;
}

static rlm_go_result rlm_go_slice(rlm_engine* e, uint64_t handle, size_t keep) {
  rlm_go_result r = {0, 0, 0, NULL};
  r.status = rlm_slice_cache(&r.handle, e, handle, keep, &r.error);
  return r;
}
*/
import "C"

import (
	"sync"
	"unsafe"
)

// Root is the handle of the empty sequence.
const Root uint64 = 0

// Options configure an engine; the zero value means the engine's defaults.
type Options struct {
	// KVCacheBytes is the RAM for KV pages; 0 = a quarter of RAM, at most 16 GiB.
	KVCacheBytes uint64
	// PageSize is the tokens per KV page; 0 = 16.
	PageSize uint32
	// Threads is the number of compute threads; 0 = one per CPU.
	Threads uint32
	// MaxStepTokens bounds the tokens of one forward step; 0 = 512.
	MaxStepTokens uint32
	// Eviction is the eviction policy: "lru" (default when empty), "lfu"
	// or "priority".
	Eviction string
	// TokenizerPath is the tokenizer of a llama2.c checkpoint; empty =
	// next to the model.
	TokenizerPath string
	// FailComputation (testing only): when > 0 the Nth model computation
	// fails (ErrComputationFailed), and every FailEvery-th after it when
	// FailEvery > 0.
	FailComputation uint64
	FailEvery       uint64
}

// Model is a loaded model and its engine (with its RadixAttention cache).
// Free it with Close.
type Model struct {
	mu     sync.RWMutex // held shared by every call into the engine
	eng    *C.rlm_engine
	closed bool // guarded by mu
	vocab  int
	bos    int32
	eos    int32
}

// LoadModel loads a model (GGUF file or llama2.c checkpoint with its
// tokenizer beside it) with default options.
func LoadModel(path string) (*Model, error) {
	return LoadModelWithOptions(path, Options{})
}

// LoadModelWithOptions loads a model with the given options. Errors carry
// CodeModelNotLoaded (and the native status in Status).
func LoadModelWithOptions(path string, opts Options) (*Model, error) {
	var copts C.rlm_engine_options
	C.rlm_engine_options_init(&copts)
	copts.kv_cache_bytes = C.uint64_t(opts.KVCacheBytes)
	copts.page_size = C.uint32_t(opts.PageSize)
	copts.threads = C.uint32_t(opts.Threads)
	copts.max_step_tokens = C.uint32_t(opts.MaxStepTokens)
	copts.fail_computation = C.uint64_t(opts.FailComputation)
	copts.fail_every = C.uint64_t(opts.FailEvery)
	if opts.Eviction != "" {
		s := C.CString(opts.Eviction)
		defer C.free(unsafe.Pointer(s))
		copts.eviction = s
	}
	if opts.TokenizerPath != "" {
		s := C.CString(opts.TokenizerPath)
		defer C.free(unsafe.Pointer(s))
		copts.tokenizer_path = s
	}
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var eng *C.rlm_engine
	var msg *C.char
	if st := C.rlm_engine_new(&eng, cpath, &copts, &msg); st != C.RLM_OK {
		e := nativeError(st, msg)
		if e.Code != CodeOutOfMemory {
			e.Code = CodeModelNotLoaded
		}
		return nil, e
	}
	return &Model{
		eng:   eng,
		vocab: int(C.rlm_engine_vocab_size(eng)),
		bos:   int32(C.rlm_token_bos(eng)),
		eos:   int32(C.rlm_token_eos(eng)),
	}, nil
}

// Close frees the engine and every handle of the model (their ids become
// invalid). It waits for calls in flight; closing twice does nothing.
func (m *Model) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	m.closed = true
	C.rlm_engine_free(m.eng)
	m.eng = nil
	registry.dropModel(m)
}

// VocabSize is the length of a logits vector.
func (m *Model) VocabSize() int { return m.vocab }

// BOS and EOS are the model's special token ids (-1 when it has none).
func (m *Model) BOS() int32 { return m.bos }
func (m *Model) EOS() int32 { return m.eos }

// acquire takes m's shared lock for one engine call; REQUIRES a matching
// m.mu.RUnlock when it returns nil.
func (m *Model) acquire() error {
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return newError(CodeModelNotLoaded, "the model is closed")
	}
	return nil
}

// tokensPtr returns the C view of tokens (uint32 and int32 share a layout;
// ids >= 2^31 read as negative and are rejected by the engine).
func tokensPtr(tokens []uint32) *C.int32_t {
	if len(tokens) == 0 {
		return nil
	}
	return (*C.int32_t)(unsafe.Pointer(&tokens[0]))
}

// ForwardWithCache runs tokens on top of the sequence of base (Root = the
// empty sequence) and returns a new handle for base + tokens; only the part
// of that sequence not already cached is computed. The last token's logits
// are written straight into logits (no copy), which must then hold at least
// VocabSize() floats; an empty logits skips them. Free the returned handle
// with FreeCache.
//
// Errors: ErrInvalidHandle (unknown base), ErrInvalidTokens (no tokens, a
// token outside the vocabulary, a short logits, a sequence longer than the
// context), ErrOutOfMemory (no KV pages even after eviction),
// ErrComputationFailed, ErrModelNotLoaded (closed model).
func ForwardWithCache(m *Model, tokens []uint32, base uint64, logits []float32) (uint64, error) {
	return ForwardWithCacheNS(m, 0, tokens, base, logits)
}

// ForwardWithCacheNS is ForwardWithCache in the cache namespace ns:
// sequences of different namespaces never share KV (0 is the default).
func ForwardWithCacheNS(m *Model, ns uint64, tokens []uint32, base uint64,
	logits []float32) (uint64, error) {
	if len(tokens) == 0 {
		return 0, newError(CodeInvalidTokens, "no tokens")
	}
	var lp *C.float
	if len(logits) > 0 {
		lp = (*C.float)(unsafe.Pointer(&logits[0]))
	}
	if err := m.acquire(); err != nil {
		return 0, err
	}
	r := C.rlm_go_forward(m.eng, C.uint64_t(ns), C.uint64_t(base), tokensPtr(tokens),
		C.size_t(len(tokens)), lp, C.size_t(len(logits)))
	if r.status != C.RLM_OK {
		m.mu.RUnlock()
		return 0, nativeError(r.status, r.error)
	}
	h := uint64(r.handle)
	registry.add(h, m)
	m.mu.RUnlock()
	return h, nil
}

// SliceCache returns a handle to the first keep tokens of h's sequence
// without copying KV (Root when keep is 0). Free it with FreeCache.
// Errors: ErrInvalidHandle (unknown h), ErrInvalidTokens (keep < 0 or more
// than h's length).
func SliceCache(h uint64, keep int) (uint64, error) {
	if keep < 0 {
		return 0, newError(CodeInvalidTokens, "keep %d < 0", keep)
	}
	if h == Root {
		if keep != 0 {
			return 0, newError(CodeInvalidTokens, "the root handle holds no tokens")
		}
		return Root, nil
	}
	m := registry.get(h)
	if m == nil {
		return 0, newError(CodeInvalidHandle, "cache handle %d does not exist", h)
	}
	if err := m.acquire(); err != nil {
		return 0, newError(CodeInvalidHandle, "cache handle %d: its model is closed", h)
	}
	defer m.mu.RUnlock()
	r := C.rlm_go_slice(m.eng, C.uint64_t(h), C.size_t(keep))
	if r.status != C.RLM_OK {
		return 0, nativeError(r.status, r.error)
	}
	out := uint64(r.handle)
	registry.add(out, m)
	return out, nil
}

// FreeCache releases a handle; its KV stays cached (evictable) for later
// reuse. Freeing Root, an unknown or an already freed handle does nothing.
func FreeCache(h uint64) {
	m := registry.remove(h)
	if m == nil || m.acquire() != nil {
		return
	}
	C.rlm_free_cache(m.eng, C.uint64_t(h))
	m.mu.RUnlock()
}

// MatchPrefix finds the longest cached prefix of tokens in namespace ns
// without computing anything. It returns a handle to it (Root when nothing
// is cached; free it with FreeCache: it pins the prefix against eviction)
// and its length in tokens.
func (m *Model) MatchPrefix(ns uint64, tokens []uint32) (h uint64, length int, err error) {
	if err := m.acquire(); err != nil {
		return 0, 0, err
	}
	defer m.mu.RUnlock()
	r := C.rlm_go_match(m.eng, C.uint64_t(ns), tokensPtr(tokens), C.size_t(len(tokens)))
	if r.status != C.RLM_OK {
		return 0, 0, nativeError(r.status, r.error)
	}
	h = uint64(r.handle)
	registry.add(h, m)
	return h, int(r.length), nil
}

// CacheLength returns the length in tokens of h's sequence.
func CacheLength(h uint64) (int, error) {
	if h == Root {
		return 0, nil
	}
	m := registry.get(h)
	if m == nil {
		return 0, newError(CodeInvalidHandle, "cache handle %d does not exist", h)
	}
	if err := m.acquire(); err != nil {
		return 0, newError(CodeInvalidHandle, "cache handle %d: its model is closed", h)
	}
	defer m.mu.RUnlock()
	var n C.size_t
	var msg *C.char
	if st := C.rlm_cache_length(&n, m.eng, C.uint64_t(h), &msg); st != C.RLM_OK {
		return 0, nativeError(st, msg)
	}
	return int(n), nil
}

// CacheLogits copies h's stored last-token logits into logits (at least
// VocabSize() floats) and reports whether it had any (a slice or a match
// that ends mid-sequence has none).
func CacheLogits(h uint64, logits []float32) (bool, error) {
	if h == Root {
		return false, nil
	}
	m := registry.get(h)
	if m == nil {
		return false, newError(CodeInvalidHandle, "cache handle %d does not exist", h)
	}
	if len(logits) < m.vocab {
		return false, newError(CodeInvalidTokens, "logits holds %d floats, the vocabulary %d",
			len(logits), m.vocab)
	}
	if err := m.acquire(); err != nil {
		return false, newError(CodeInvalidHandle, "cache handle %d: its model is closed", h)
	}
	defer m.mu.RUnlock()
	var present C.int
	var msg *C.char
	st := C.rlm_cache_logits(&present, m.eng, C.uint64_t(h), (*C.float)(unsafe.Pointer(&logits[0])),
		C.size_t(len(logits)), &msg)
	if st != C.RLM_OK {
		return false, nativeError(st, msg)
	}
	return present != 0, nil
}

// EvictResult says what an eviction freed.
type EvictResult struct {
	Nodes      uint64 // cache tree nodes evicted
	Tokens     uint64 // tokens whose KV was freed
	PagesFreed uint64
}

// EvictLeaves evicts up to n least-recently-used (by the engine's policy)
// unpinned leaves of the cache tree; KV held by a live handle is never
// evicted.
func (m *Model) EvictLeaves(n int) (EvictResult, error) {
	if n <= 0 {
		return EvictResult{}, nil
	}
	if err := m.acquire(); err != nil {
		return EvictResult{}, err
	}
	defer m.mu.RUnlock()
	var r C.rlm_evict_result
	if st := C.rlm_evict_leaves(&r, m.eng, C.uint64_t(n)); st != C.RLM_OK {
		return EvictResult{}, nativeError(st, nil)
	}
	return EvictResult{Nodes: uint64(r.nodes), Tokens: uint64(r.tokens),
		PagesFreed: uint64(r.pages_freed)}, nil
}

// EvictPages evicts unpinned KV until at least pages pages are free or
// nothing is evictable.
func (m *Model) EvictPages(pages int) (EvictResult, error) {
	if err := m.acquire(); err != nil {
		return EvictResult{}, err
	}
	defer m.mu.RUnlock()
	var r C.rlm_evict_result
	if st := C.rlm_evict_pages(&r, m.eng, C.uint64_t(pages)); st != C.RLM_OK {
		return EvictResult{}, nativeError(st, nil)
	}
	return EvictResult{Nodes: uint64(r.nodes), Tokens: uint64(r.tokens),
		PagesFreed: uint64(r.pages_freed)}, nil
}

// Stats are the engine's counters and cache state (rlm_stats).
type Stats struct {
	Lookups        uint64 // cache lookups (one per forward)
	Hits           uint64 // lookups that matched at least one token
	TokensLookedUp uint64
	TokensMatched  uint64 // tokens served from the cache
	TokensComputed uint64 // tokens run through the model
	Forwards       uint64 // successful forwards
	FullHits       uint64 // forwards that computed nothing
	EvictedNodes   uint64
	EvictedTokens  uint64
	CachedTokens   uint64 // tokens currently in the cache tree
	Nodes          uint64
	PagesTotal     uint64
	PagesFree      uint64
	PagesEvictable uint64
	PagesPinned    uint64
	LiveHandles    uint64
	PageBytes      uint64 // bytes per KV page
}

// Stats returns the engine's counters and cache state.
func (m *Model) Stats() (Stats, error) {
	if err := m.acquire(); err != nil {
		return Stats{}, err
	}
	defer m.mu.RUnlock()
	var s C.rlm_stats
	if st := C.rlm_engine_stats(&s, m.eng); st != C.RLM_OK {
		return Stats{}, nativeError(st, nil)
	}
	return Stats{
		Lookups: uint64(s.lookups), Hits: uint64(s.hits),
		TokensLookedUp: uint64(s.tokens_looked_up), TokensMatched: uint64(s.tokens_matched),
		TokensComputed: uint64(s.tokens_computed), Forwards: uint64(s.forwards),
		FullHits: uint64(s.full_hits), EvictedNodes: uint64(s.evicted_nodes),
		EvictedTokens: uint64(s.evicted_tokens), CachedTokens: uint64(s.cached_tokens),
		Nodes: uint64(s.nodes), PagesTotal: uint64(s.pages_total),
		PagesFree: uint64(s.pages_free), PagesEvictable: uint64(s.pages_evictable),
		PagesPinned: uint64(s.pages_pinned), LiveHandles: uint64(s.live_handles),
		PageBytes: uint64(s.page_bytes),
	}, nil
}
