package radix

import (
	"testing"

	mlx "github.com/radixlm/radixlm/bindings/go/mlx"
)

// Tree.Match + Unpin of a cached 32-token sequence (compare with the mlx
// package's BenchmarkMatchPrefixC, the same work in C).
func BenchmarkTreeMatch(b *testing.B) {
	m := load(b, mlx.Options{Threads: 1})
	tr := NewTree(m, Options{})
	tokens := seq(0, 31)
	n, _ := tr.InsertPending(tokens)
	if err := n.Wait(); err != nil {
		b.Fatal(err)
	}
	tr.Unpin(n)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mn := tr.Match(tokens)
		if mn.Len() != len(tokens) {
			b.Fatal("miss")
		}
		tr.Unpin(mn)
	}
}

// InsertPending of a cached sequence whose node is live (pinned elsewhere):
// joins the node, no engine call.
func BenchmarkInsertPendingLive(b *testing.B) {
	m := load(b, mlx.Options{Threads: 1})
	tr := NewTree(m, Options{})
	tokens := seq(0, 31)
	keep, _ := tr.InsertPending(tokens)
	if err := keep.Wait(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n, _ := tr.InsertPending(tokens)
		tr.Unpin(n)
	}
	b.StopTimer()
	tr.Unpin(keep)
}
