package mlx

import (
	"testing"
	"unsafe"

	"github.com/radixlm/radixlm/bindings/go/internal/cref"
)

// benchTokens is a 32-token sequence (BOS + 31), cached before timing.
func benchTokens() []uint32 {
	out := []uint32{1}
	for i := 0; i < 31; i++ {
		out = append(out, uint32(3+(i*37)%500))
	}
	return out
}

func toInt32(tokens []uint32) []int32 {
	out := make([]int32, len(tokens))
	for i, v := range tokens {
		out[i] = int32(v)
	}
	return out
}

func benchModel(b *testing.B) (*Model, []uint32) {
	m := load(b, Options{Threads: 1})
	tokens := benchTokens()
	h, _ := forward(b, m, tokens, Root)
	FreeCache(h)
	return m, tokens
}

// An exact cache hit through the Go path: ForwardWithCache of a cached
// sequence from the root (logits copied into the caller's slice), then
// FreeCache of the new handle.
func BenchmarkForwardWithCacheHit(b *testing.B) {
	m, tokens := benchModel(b)
	logits := make([]float32, m.VocabSize())
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, err := ForwardWithCache(m, tokens, Root, logits)
		if err != nil {
			b.Fatal(err)
		}
		FreeCache(h)
	}
}

// The same work as BenchmarkForwardWithCacheHit in one C loop (no cgo
// transition per call): the difference is the Go layer's overhead.
func BenchmarkForwardWithCacheHitC(b *testing.B) {
	m, tokens := benchModel(b)
	logits := make([]float32, m.VocabSize())
	b.ResetTimer()
	if _, err := cref.Wrap(unsafe.Pointer(m.eng)).ForwardLoop(toInt32(tokens), logits, b.N); err != nil {
		b.Fatal(err)
	}
}

// MatchPrefix of a cached 32-token sequence + FreeCache, through Go.
func BenchmarkMatchPrefix(b *testing.B) {
	m, tokens := benchModel(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h, _, err := m.MatchPrefix(0, tokens)
		if err != nil {
			b.Fatal(err)
		}
		FreeCache(h)
	}
}

// The same in one C loop.
func BenchmarkMatchPrefixC(b *testing.B) {
	m, tokens := benchModel(b)
	b.ResetTimer()
	if _, err := cref.Wrap(unsafe.Pointer(m.eng)).MatchLoop(toInt32(tokens), b.N); err != nil {
		b.Fatal(err)
	}
}
