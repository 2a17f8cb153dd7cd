package mlx

import (
	"errors"
	"sync"
	"testing"
	"unsafe"

	"github.com/radixlm/radixlm/bindings/go/internal/cref"
)

// prompt is "Once upon a time" with BOS.
var prompt = []uint32{1, 403, 407, 261, 378}

func modelPath(t testing.TB) string {
	p := cref.ModelPath()
	if p == "" {
		t.Fatal("default model not found (set RADIXLM_MODEL)")
	}
	return p
}

func load(t testing.TB, opts Options) *Model {
	t.Helper()
	if opts.Threads == 0 {
		opts.Threads = 2
	}
	m, err := LoadModelWithOptions(modelPath(t), opts)
	if err != nil {
		t.Fatalf("LoadModelWithOptions: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

func stats(t testing.TB, m *Model) Stats {
	t.Helper()
	s, err := m.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	return s
}

func forward(t testing.TB, m *Model, tokens []uint32, base uint64) (uint64, []float32) {
	t.Helper()
	logits := make([]float32, m.VocabSize())
	h, err := ForwardWithCache(m, tokens, base, logits)
	if err != nil {
		t.Fatalf("ForwardWithCache(%v, base %d): %v", tokens, base, err)
	}
	return h, logits
}

func equalLogits(t testing.TB, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d logits, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s: logits[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func closeLogits(t testing.TB, what string, got, want []float32) {
	t.Helper()
	for i := range got {
		d := got[i] - want[i]
		if d > 1e-4 || d < -1e-4 {
			t.Fatalf("%s: logits[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestLoadModel(t *testing.T) {
	m, err := LoadModel(modelPath(t))
	if err != nil {
		t.Fatal(err)
	}
	if m.VocabSize() != 512 || m.BOS() != 1 {
		t.Errorf("vocab %d bos %d, want 512 1", m.VocabSize(), m.BOS())
	}
	m.Close()
	m.Close() // twice is fine
	if _, err := ForwardWithCache(m, prompt, Root, make([]float32, 512)); !errors.Is(err, ErrModelNotLoaded) {
		t.Errorf("forward on a closed model: %v, want ErrModelNotLoaded", err)
	}
	_, err = LoadModel("/nonexistent/model.bin")
	var e *Error
	if !errors.Is(err, ErrModelNotLoaded) || !errors.As(err, &e) || e.Status == 0 || e.Msg == "" {
		t.Errorf("missing file: %#v, want ErrModelNotLoaded with a native status", err)
	}
}

func TestTokenizeDetokenize(t *testing.T) {
	m := load(t, Options{})
	got, err := m.Tokenize("Once upon a time", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(prompt) {
		t.Fatalf("Tokenize = %v, want %v", got, prompt)
	}
	for i := range got {
		if got[i] != prompt[i] {
			t.Fatalf("Tokenize = %v, want %v", got, prompt)
		}
	}
	if got, _ := m.Tokenize("", false); len(got) != 0 {
		t.Errorf("Tokenize(\"\") = %v", got)
	}
	text, err := m.Detokenize(prompt[1:])
	if err != nil || text != "Once upon a time" {
		t.Errorf("Detokenize = %q, %v", text, err)
	}
}

// The Go path's logits equal those of rlm_forward_with_cache called
// directly (on another engine, and on the same engine from a Go handle) and
// those of MLXForwardWithCache.
func TestForwardWithCacheMatchesCAPI(t *testing.T) {
	m := load(t, Options{})
	h, got := forward(t, m, prompt, Root)
	defer FreeCache(h)

	ce, err := cref.Open(modelPath(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer ce.Close()
	ids := make([]int32, len(prompt))
	for i, v := range prompt {
		ids[i] = int32(v)
	}
	want := make([]float32, 512)
	ch, st := ce.Forward(0, ids, want)
	if st != 0 {
		t.Fatalf("rlm_forward_with_cache: status %d", st)
	}
	ce.Free(ch)
	equalLogits(t, "Go vs C API", got, want)

	if code := cref.MLXLoad(modelPath(t)); code != 0 {
		t.Fatalf("MLXLoadModel: %d", code)
	}
	mh, code := cref.MLXForward(0, prompt, want)
	if code != 0 {
		t.Fatalf("MLXForwardWithCache: %d", code)
	}
	cref.MLXFree(mh)
	equalLogits(t, "Go vs MLX API", got, want)

	// A Go handle extended through the C API on the same engine, and
	// through Go: same logits, and the second computes nothing.
	same := cref.Wrap(unsafe.Pointer(m.eng))
	ch, st = same.Forward(h, []int32{403}, want)
	if st != 0 {
		t.Fatalf("rlm_forward_with_cache on a Go handle: status %d", st)
	}
	same.Free(ch)
	before := stats(t, m).TokensComputed
	h2, got2 := forward(t, m, []uint32{403}, h)
	FreeCache(h2)
	equalLogits(t, "extension Go vs C", got2, want)
	if d := stats(t, m).TokensComputed - before; d != 0 {
		t.Errorf("cached extension computed %d tokens", d)
	}
}

// Token-by-token extension gives the logits of one whole forward, and
// computes each token once.
func TestForwardWithCacheIncremental(t *testing.T) {
	m := load(t, Options{})
	seq := []uint32{1, 403, 407, 261, 378, 261, 280, 300, 310, 320}
	h := Root
	var logits []float32
	for i, tok := range seq {
		nh, l := forward(t, m, []uint32{tok}, h)
		FreeCache(h)
		h, logits = nh, l
		if n, err := CacheLength(h); err != nil || n != i+1 {
			t.Fatalf("CacheLength = %d, %v, want %d", n, err, i+1)
		}
	}
	defer FreeCache(h)
	if s := stats(t, m); s.TokensComputed != uint64(len(seq)) {
		t.Errorf("tokens computed %d, want %d", s.TokensComputed, len(seq))
	}
	m2 := load(t, Options{})
	h2, whole := forward(t, m2, seq, Root)
	FreeCache(h2)
	closeLogits(t, "incremental vs whole", logits, whole)

	// An exact hit returns the stored logits and computes nothing.
	before := stats(t, m)
	h3, again := forward(t, m, seq, Root)
	FreeCache(h3)
	equalLogits(t, "exact hit", again, logits)
	after := stats(t, m)
	if after.TokensComputed != before.TokensComputed || after.FullHits != before.FullHits+1 {
		t.Errorf("exact hit: computed %d, full hits %d", after.TokensComputed-before.TokensComputed,
			after.FullHits-before.FullHits)
	}
	// nil logits: the handle only.
	h4, err := ForwardWithCache(m, seq, Root, nil)
	if err != nil || h4 == Root {
		t.Errorf("nil logits: %d, %v", h4, err)
	}
	FreeCache(h4)
}

func TestForwardWithCacheErrors(t *testing.T) {
	m := load(t, Options{})
	logits := make([]float32, m.VocabSize())
	cases := []struct {
		name   string
		tokens []uint32
		base   uint64
		logits []float32
		want   error
	}{
		{"no tokens", nil, Root, logits, ErrInvalidTokens},
		{"token outside vocab", []uint32{1, 512}, Root, logits, ErrInvalidTokens},
		{"huge token", []uint32{1, 1 << 31}, Root, logits, ErrInvalidTokens},
		{"short logits", prompt, Root, logits[:10], ErrInvalidTokens},
		{"unknown base", prompt, 1 << 60, logits, ErrInvalidHandle},
	}
	for _, c := range cases {
		h, err := ForwardWithCache(m, c.tokens, c.base, c.logits)
		if !errors.Is(err, c.want) || h != 0 {
			t.Errorf("%s: %d, %v, want %v", c.name, h, err, c.want)
		}
		var e *Error
		if errors.As(err, &e) && e.Msg == "" {
			t.Errorf("%s: no message", c.name)
		}
	}
	// Codes and sentinels: Is compares codes, only against sentinels.
	err := error(&Error{Code: CodeOutOfMemory, Msg: "x"})
	if !errors.Is(err, ErrOutOfMemory) || errors.Is(err, ErrInvalidHandle) ||
		errors.Is(err, &Error{Code: CodeOutOfMemory}) {
		t.Error("errors.Is on *Error")
	}
	if codeOfStatus(3) != CodeOutOfMemory || codeOfStatus(7) != CodeComputationFailed ||
		codeOfStatus(2) != CodeInvalidHandle || codeOfStatus(1) != CodeInvalidTokens {
		t.Error("native status mapping")
	}
}

func TestFailComputation(t *testing.T) {
	m := load(t, Options{FailComputation: 1})
	logits := make([]float32, m.VocabSize())
	_, err := ForwardWithCache(m, prompt, Root, logits)
	var e *Error
	if !errors.Is(err, ErrComputationFailed) || !errors.As(err, &e) || e.Status != 7 {
		t.Fatalf("first computation: %v, want ErrComputationFailed (RLM_INTERNAL)", err)
	}
	h, _ := forward(t, m, prompt, Root) // only the first fails
	FreeCache(h)
}

func TestSliceCache(t *testing.T) {
	m := load(t, Options{})
	h, full := forward(t, m, prompt, Root)
	s, err := SliceCache(h, 3)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := CacheLength(s); n != 3 {
		t.Errorf("slice length %d, want 3", n)
	}
	buf := make([]float32, m.VocabSize())
	if ok, err := CacheLogits(s, buf); err != nil || ok {
		t.Errorf("slice logits present=%v %v, want none", ok, err)
	}
	if ok, err := CacheLogits(h, buf); err != nil || !ok {
		t.Errorf("handle logits present=%v %v", ok, err)
	}
	equalLogits(t, "CacheLogits", buf, full)
	before := stats(t, m).TokensComputed
	e, ext := forward(t, m, prompt[3:], s)
	equalLogits(t, "slice extended", ext, full)
	if d := stats(t, m).TokensComputed - before; d != 0 {
		t.Errorf("re-extending a slice computed %d tokens", d)
	}
	FreeCache(e)

	if r, err := SliceCache(h, 0); r != Root || err != nil {
		t.Errorf("SliceCache(h, 0) = %d, %v", r, err)
	}
	if r, err := SliceCache(Root, 0); r != Root || err != nil {
		t.Errorf("SliceCache(Root, 0) = %d, %v", r, err)
	}
	if _, err := SliceCache(h, 6); !errors.Is(err, ErrInvalidTokens) {
		t.Errorf("keep > length: %v", err)
	}
	if _, err := SliceCache(h, -1); !errors.Is(err, ErrInvalidTokens) {
		t.Errorf("keep < 0: %v", err)
	}
	if _, err := SliceCache(1<<60, 1); !errors.Is(err, ErrInvalidHandle) {
		t.Errorf("unknown handle: %v", err)
	}
	FreeCache(s)
	FreeCache(h)
	if _, err := SliceCache(h, 1); !errors.Is(err, ErrInvalidHandle) {
		t.Errorf("freed handle: %v", err)
	}
	if _, err := CacheLength(h); !errors.Is(err, ErrInvalidHandle) {
		t.Errorf("CacheLength of a freed handle: %v", err)
	}
}

func TestFreeCache(t *testing.T) {
	m := load(t, Options{})
	h, _ := forward(t, m, prompt, Root)
	if n := stats(t, m).LiveHandles; n != 1 {
		t.Errorf("live handles %d, want 1", n)
	}
	FreeCache(h)
	FreeCache(h)       // twice: nothing
	FreeCache(Root)    // root: nothing
	FreeCache(1 << 62) // unknown: nothing
	if n := stats(t, m).LiveHandles; n != 0 {
		t.Errorf("live handles %d, want 0", n)
	}
	// The KV stays cached after FreeCache.
	mh, n, err := m.MatchPrefix(0, prompt)
	if err != nil || n != len(prompt) || mh == Root {
		t.Errorf("MatchPrefix after free = %d, %d, %v", mh, n, err)
	}
	FreeCache(mh)
}

func TestCloseInvalidatesHandles(t *testing.T) {
	m, err := LoadModelWithOptions(modelPath(t), Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	h, _ := forward(t, m, prompt, Root)
	m.Close()
	if _, err := SliceCache(h, 1); !errors.Is(err, ErrInvalidHandle) {
		t.Errorf("slice of a closed model's handle: %v", err)
	}
	FreeCache(h) // nothing
}

func TestMatchPrefixAndEvict(t *testing.T) {
	m := load(t, Options{PageSize: 4})
	if h, n, err := m.MatchPrefix(0, prompt); h != Root || n != 0 || err != nil {
		t.Errorf("empty cache: %d %d %v", h, n, err)
	}
	h, _ := forward(t, m, prompt, Root)
	FreeCache(h)
	long := append(append([]uint32(nil), prompt...), 261, 280)
	mh, n, err := m.MatchPrefix(0, long)
	if err != nil || n != len(prompt) {
		t.Fatalf("MatchPrefix = %d %d %v", mh, n, err)
	}
	// Pinned by the match handle: nothing to evict.
	if r, _ := m.EvictLeaves(10); r.Tokens != 0 {
		t.Errorf("evicted %d pinned tokens", r.Tokens)
	}
	if h, n, _ := m.MatchPrefix(7, prompt); h != Root || n != 0 {
		t.Errorf("namespace 7 sees namespace 0: %d", n)
	}
	FreeCache(mh)
	r, err := m.EvictLeaves(10)
	if err != nil || r.Tokens != uint64(len(prompt)) || r.Nodes == 0 {
		t.Errorf("EvictLeaves = %+v, %v", r, err)
	}
	if _, n, _ := m.MatchPrefix(0, prompt); n != 0 {
		t.Errorf("after eviction matched %d", n)
	}
	s := stats(t, m)
	if s.EvictedTokens != uint64(len(prompt)) || s.CachedTokens != 0 ||
		s.PagesFree+s.PagesEvictable+s.PagesPinned != s.PagesTotal {
		t.Errorf("stats after eviction: %+v", s)
	}
	if r, _ := m.EvictPages(1 << 20); r.Tokens != 0 {
		t.Errorf("EvictPages on an empty cache: %+v", r)
	}
}

// Many goroutines forward, slice and free on one model (run with -race).
func TestConcurrentCalls(t *testing.T) {
	m := load(t, Options{})
	base, _ := forward(t, m, prompt, Root)
	defer FreeCache(base)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			logits := make([]float32, m.VocabSize())
			h, err := ForwardWithCache(m, []uint32{uint32(260 + g%4), 300}, base, logits)
			if err != nil {
				errs <- err
				return
			}
			s, err := SliceCache(h, len(prompt)+1)
			if err != nil {
				errs <- err
			}
			FreeCache(s)
			FreeCache(h)
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := stats(t, m).LiveHandles; n != 1 {
		t.Errorf("live handles %d, want 1", n)
	}
}
