package radix

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/radixlm/radixlm/bindings/go/internal/cref"
	mlx "github.com/radixlm/radixlm/bindings/go/mlx"
)

func load(t testing.TB, opts mlx.Options) *mlx.Model {
	t.Helper()
	p := cref.ModelPath()
	if p == "" {
		t.Fatal("default model not found (set RADIXLM_MODEL)")
	}
	if opts.Threads == 0 {
		opts.Threads = 2
	}
	m, err := mlx.LoadModelWithOptions(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

func stats(t testing.TB, m *mlx.Model) mlx.Stats {
	t.Helper()
	s, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// seq returns BOS followed by n tokens derived from seed (all in the vocab).
func seq(seed, n int) []uint32 {
	out := []uint32{1}
	for i := 0; i < n; i++ {
		out = append(out, uint32(3+(seed*131+i*37)%500))
	}
	return out
}

func directLogits(t testing.TB, m *mlx.Model, tokens []uint32) []float32 {
	t.Helper()
	logits := make([]float32, m.VocabSize())
	h, err := mlx.ForwardWithCache(m, tokens, mlx.Root, logits)
	if err != nil {
		t.Fatal(err)
	}
	mlx.FreeCache(h)
	return logits
}

func sameLogits(a, b []float32) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestMatchOnEmptyTreeIsRoot(t *testing.T) {
	m := load(t, mlx.Options{})
	tr := NewTree(m, Options{})
	n := tr.Match(seq(1, 8))
	if n.Len() != 0 || n.Handle() != mlx.Root || !n.IsReady() || n.Logits() != nil || n.Wait() != nil {
		t.Errorf("root: len %d handle %d ready %v", n.Len(), n.Handle(), n.IsReady())
	}
	tr.Unpin(n)
	if tr.Model() != m {
		t.Error("Model()")
	}
}

func TestInsertPendingAndMatch(t *testing.T) {
	m := load(t, mlx.Options{})
	tr := NewTree(m, Options{})
	tokens := seq(2, 20)
	n, err := tr.InsertPending(tokens)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Wait(); err != nil {
		t.Fatal(err)
	}
	if !n.IsReady() || n.Len() != len(tokens) || n.Handle() == mlx.Root || n.CachedLen() != 0 ||
		n.Err() != nil {
		t.Fatalf("node: ready %v len %d handle %d cached %d", n.IsReady(), n.Len(), n.Handle(),
			n.CachedLen())
	}
	if l, err := mlx.CacheLength(n.Handle()); err != nil || l != len(tokens) {
		t.Errorf("CacheLength(handle) = %d, %v", l, err)
	}
	// The Go tree's logits are the engine's (a fresh model computes them
	// again; the same one serves them from the cache).
	m2 := load(t, mlx.Options{})
	if !sameLogits(n.Logits(), directLogits(t, m2, tokens)) {
		t.Error("node logits differ from a direct forward")
	}

	// Match of a longer sequence finds the node's tokens, with the logits.
	longer := append(append([]uint32(nil), tokens...), 9, 10, 11)
	mn := tr.Match(longer)
	if mn.Len() != len(tokens) || mn.Handle() == mlx.Root || !sameLogits(mn.Logits(), n.Logits()) {
		t.Errorf("Match: len %d handle %d", mn.Len(), mn.Handle())
	}
	if got := mn.Tokens(); len(got) != len(tokens) || got[5] != tokens[5] {
		t.Errorf("Match tokens %v", got)
	}
	// A match ending mid-sequence has no logits.
	if pn := tr.Match(tokens[:7]); pn.Len() != 7 || pn.Logits() != nil {
		t.Errorf("partial match: len %d logits %v", pn.Len(), pn.Logits() != nil)
	} else {
		tr.Unpin(pn)
	}

	// InsertPending of an extension computes only the new tokens.
	before := stats(t, m).TokensComputed
	en, _ := tr.InsertPending(longer)
	if err := en.Wait(); err != nil {
		t.Fatal(err)
	}
	if en.CachedLen() != len(tokens) {
		t.Errorf("extension cached %d, want %d", en.CachedLen(), len(tokens))
	}
	if d := stats(t, m).TokensComputed - before; d != 3 {
		t.Errorf("extension computed %d tokens, want 3", d)
	}
	// InsertPending of cached tokens (no live node) computes nothing and
	// reuses the stored logits.
	tr.Unpin(n)
	before = stats(t, m).TokensComputed
	again, _ := tr.InsertPending(tokens)
	if err := again.Wait(); err != nil || again == n || again.CachedLen() != len(tokens) ||
		!sameLogits(again.Logits(), mn.Logits()) {
		t.Errorf("re-insert: %v cached %d", err, again.CachedLen())
	}
	if d := stats(t, m).TokensComputed - before; d != 0 {
		t.Errorf("re-insert computed %d tokens", d)
	}
	for _, x := range []*Node{mn, en, again} {
		tr.Unpin(x)
	}
	if s := stats(t, m); s.LiveHandles != 0 || tr.liveNodes() != 0 {
		t.Errorf("after unpinning all: %d live handles, %d live nodes", s.LiveHandles, tr.liveNodes())
	}
}

func TestInsertPendingErrors(t *testing.T) {
	m := load(t, mlx.Options{})
	tr := NewTree(m, Options{})
	if _, err := tr.InsertPending(nil); !errors.Is(err, mlx.ErrInvalidTokens) {
		t.Errorf("empty tokens: %v", err)
	}
	n, err := tr.InsertPending([]uint32{1, 600})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Wait(); !errors.Is(err, mlx.ErrInvalidTokens) || n.IsReady() || n.Logits() != nil ||
		n.Handle() != 0 {
		t.Errorf("token outside the vocabulary: %v", err)
	}
	tr.Unpin(n)
}

// 100 goroutines insert the same tokens: one node, one computation, the
// same logits for all.
func TestThunderingHerd(t *testing.T) {
	m := load(t, mlx.Options{})
	tr := NewTree(m, Options{})
	tokens := seq(3, 60)
	const callers = 100
	nodes := make([]*Node, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			n, err := tr.InsertPending(tokens)
			if err == nil {
				err = n.Wait()
			}
			nodes[i], errs[i] = n, err
		}(i)
	}
	close(start)
	wg.Wait()
	for i := 0; i < callers; i++ {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if nodes[i] != nodes[0] {
			t.Fatalf("caller %d got another node", i)
		}
		if !sameLogits(nodes[i].Logits(), nodes[0].Logits()) {
			t.Fatalf("caller %d: other logits", i)
		}
	}
	s := stats(t, m)
	if s.TokensComputed != uint64(len(tokens)) || s.Forwards != 1 {
		t.Errorf("computed %d tokens in %d forwards, want %d in 1", s.TokensComputed, s.Forwards,
			len(tokens))
	}
	if !sameLogits(nodes[0].Logits(), directLogits(t, load(t, mlx.Options{}), tokens)) {
		t.Error("herd logits differ from a direct forward")
	}
	// One pin per caller: the handle lives until the last Unpin.
	h := nodes[0].Handle()
	for i := 0; i < callers-1; i++ {
		tr.Unpin(nodes[i])
	}
	if _, err := mlx.CacheLength(h); err != nil {
		t.Errorf("handle freed before the last Unpin: %v", err)
	}
	tr.Unpin(nodes[callers-1])
	if _, err := mlx.CacheLength(h); !errors.Is(err, mlx.ErrInvalidHandle) {
		t.Errorf("handle alive after the last Unpin: %v", err)
	}
	if s := stats(t, m); s.LiveHandles != 0 || tr.liveNodes() != 0 {
		t.Errorf("%d live handles, %d live nodes", s.LiveHandles, tr.liveNodes())
	}
	defer func() {
		if recover() == nil {
			t.Error("Unpin of an unpinned node did not panic")
		}
	}()
	tr.Unpin(nodes[0])
}

func TestPinningVsEviction(t *testing.T) {
	m := load(t, mlx.Options{PageSize: 4})
	tr := NewTree(m, Options{})
	a, b := seq(4, 20), seq(5, 12) // share only BOS
	na, _ := tr.InsertPending(a)
	nb, _ := tr.InsertPending(b)
	if na.Wait() != nil || nb.Wait() != nil {
		t.Fatal("insert failed")
	}
	ma := tr.Match(a) // a is pinned twice (InsertPending and Match)
	tr.Unpin(nb)      // b is unpinned: evictable

	freed := tr.EvictLRU(100)
	if freed != len(b)-1 {
		t.Errorf("EvictLRU freed %d tokens, want %d (b without the shared BOS)", freed, len(b)-1)
	}
	if n := tr.Match(a); n.Len() != len(a) {
		t.Errorf("pinned a: matched %d of %d", n.Len(), len(a))
	} else {
		tr.Unpin(n)
	}
	if n := tr.Match(b); n.Len() != 1 {
		t.Errorf("evicted b: matched %d, want 1 (BOS, shared with a)", n.Len())
	} else {
		tr.Unpin(n)
	}
	if tr.EvictLRU(100) != 0 {
		t.Error("evicted pinned tokens")
	}
	// One pin left keeps a; with none it goes.
	tr.Unpin(na)
	if tr.EvictLRU(100) != 0 {
		t.Error("evicted a node still pinned by a Match")
	}
	tr.Unpin(ma)
	if freed := tr.EvictLRU(100); freed != len(a) {
		t.Errorf("EvictLRU freed %d, want %d", freed, len(a))
	}
	if n := tr.Match(a); n.Len() != 0 {
		t.Errorf("a after eviction: matched %d", n.Len())
	}
	if tr.EvictLRU(0) != 0 {
		t.Error("EvictLRU(0)")
	}
	s := stats(t, m)
	if s.CachedTokens != 0 || s.PagesFree+s.PagesEvictable+s.PagesPinned != s.PagesTotal {
		t.Errorf("stats: %+v", s)
	}
}

// EvictLRU takes least recently used leaves first.
func TestEvictLRUOrder(t *testing.T) {
	m := load(t, mlx.Options{PageSize: 4})
	tr := NewTree(m, Options{})
	old, recent := seq(6, 10), seq(7, 10)
	for _, s := range [][]uint32{old, recent} {
		n, _ := tr.InsertPending(s)
		if n.Wait() != nil {
			t.Fatal("insert failed")
		}
		tr.Unpin(n)
	}
	tr.Unpin(tr.Match(recent)) // touch
	if freed := tr.EvictLRU(1); freed != len(old)-1 {
		t.Errorf("freed %d", freed)
	}
	n := tr.Match(recent)
	if n.Len() != len(recent) {
		t.Errorf("the recently used leaf was evicted (matched %d)", n.Len())
	}
	tr.Unpin(n)
}

// A failed computation poisons the node for every caller; the node is
// pruned and a later InsertPending retries.
func TestPoisoning(t *testing.T) {
	m := load(t, mlx.Options{FailComputation: 1})
	tr := NewTree(m, Options{})
	tokens := seq(8, 16)
	const callers = 20
	nodes := make([]*Node, callers)
	var wg sync.WaitGroup
	for i := 0; i < callers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			n, err := tr.InsertPending(tokens)
			if err != nil {
				t.Error(err)
				return
			}
			nodes[i] = n
			n.Wait()
		}(i)
	}
	wg.Wait()
	poisoned := map[*Node]bool{}
	for _, n := range nodes {
		err := n.Wait()
		if err == nil {
			continue // joined after the prune: a retry that succeeded
		}
		poisoned[n] = true
		if !errors.Is(err, mlx.ErrComputationFailed) || n.IsReady() || n.Logits() != nil ||
			n.Handle() != 0 || !errors.Is(n.Err(), mlx.ErrComputationFailed) {
			t.Errorf("poisoned node: err %v ready %v", err, n.IsReady())
		}
	}
	if len(poisoned) != 1 {
		t.Fatalf("%d poisoned nodes, want 1", len(poisoned))
	}
	tr.mu.Lock()
	for p := range poisoned {
		if tr.live[tokenKey(tokens)] == p {
			t.Error("the poisoned node was not pruned")
		}
	}
	tr.mu.Unlock()
	retry, err := tr.InsertPending(tokens)
	if err != nil || retry.Wait() != nil || poisoned[retry] {
		t.Fatalf("retry: %v", err)
	}
	if !sameLogits(retry.Logits(), directLogits(t, load(t, mlx.Options{}), tokens)) {
		t.Error("retry logits differ")
	}
	for _, n := range nodes {
		tr.Unpin(n)
	}
	tr.Unpin(retry)
	if s := stats(t, m); s.LiveHandles != 0 || tr.liveNodes() != 0 {
		t.Errorf("%d live handles, %d live nodes", s.LiveHandles, tr.liveNodes())
	}
}

// Unpinning before the computation finishes frees the handle when it does.
func TestUnpinWhilePending(t *testing.T) {
	m := load(t, mlx.Options{})
	tr := NewTree(m, Options{})
	n, _ := tr.InsertPending(seq(9, 100))
	tr.Unpin(n)
	n.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for stats(t, m).LiveHandles != 0 {
		if time.Now().After(deadline) {
			t.Fatal("handle of an unpinned node never freed")
		}
		time.Sleep(time.Millisecond)
	}
	if tr.liveNodes() != 0 {
		t.Error("live node left")
	}
	got := tr.Match(seq(9, 100))
	if got.Len() != 101 {
		t.Errorf("computed KV not cached: matched %d", got.Len())
	}
	tr.Unpin(got)
}

func TestNamespaces(t *testing.T) {
	m := load(t, mlx.Options{})
	t7 := NewTree(m, Options{Namespace: 7})
	t0 := NewTree(m, Options{})
	tokens := seq(10, 10)
	n, _ := t7.InsertPending(tokens)
	if err := n.Wait(); err != nil {
		t.Fatal(err)
	}
	if got := t0.Match(tokens); got.Len() != 0 {
		t.Errorf("namespace 0 sees namespace 7: %d", got.Len())
	}
	if got := t7.Match(tokens); got.Len() != len(tokens) {
		t.Errorf("namespace 7 matched %d", got.Len())
	}
	defer func() {
		if recover() == nil {
			t.Error("Unpin on another tree did not panic")
		}
	}()
	t0.Unpin(n)
}
