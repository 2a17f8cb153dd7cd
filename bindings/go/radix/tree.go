// Package radix is the specification's radix tree of computed token
// sequences, made real over the engine's own RadixAttention tree: there is
// one tree, in C++, and a Tree here holds views of it (Nodes), each backed
// by one engine cache handle.
//
// A Node is a computed (or computing) token sequence: its length, its cache
// handle (for mlx.ForwardWithCache / mlx.SliceCache) and its last token's
// logits. Every Node a caller receives from Match or InsertPending carries
// one pin for that caller, and the caller drops it with Unpin. A pinned
// Node's KV is never evicted; once the last pin is dropped the engine
// handle is freed and the KV stays cached, evictable (EvictLRU), for later
// matches.
//
// Reference counting of shared nodes: concurrent InsertPending calls with
// the same tokens return the same *Node, and each call adds one pin (so a
// node returned to k callers needs k Unpins). The engine handle is freed
// when the pin count reaches zero and the computation has finished,
// whichever comes last.
//
// Thread safety: all methods may be called from many goroutines at once.
package radix

import (
	"errors"
	"sync"
	"unsafe"

	mlx "github.com/radixlm/radixlm/bindings/go/mlx"
)

// Options configure a Tree; the zero value is the default namespace.
type Options struct {
	// Namespace keys the tree's sequences in the engine's cache (e.g. a
	// hash of a tenant's cache salt): trees of different namespaces never
	// share KV. 0 is the default namespace, shared with mlx.ForwardWithCache.
	Namespace uint64
}

// Tree is a view of the engine's cache tree in one namespace.
type Tree struct {
	m  *mlx.Model
	ns uint64

	mu sync.Mutex
	// live holds InsertPending nodes that are computing, or ready and still
	// pinned, keyed by their token sequence: later InsertPending calls for
	// the same tokens join them. Failed nodes are removed at once.
	live map[string]*Node // guarded by mu
}

// NewTree returns a view of m's cache tree. m must outlive the tree.
func NewTree(m *mlx.Model, opts Options) *Tree {
	return &Tree{m: m, ns: opts.Namespace, live: make(map[string]*Node)}
}

// Model returns the tree's model.
func (t *Tree) Model() *mlx.Model { return t.m }

// tokenKey is the map key of a token sequence (its bytes).
func tokenKey(tokens []uint32) string {
	return string(unsafe.Slice((*byte)(unsafe.Pointer(&tokens[0])), 4*len(tokens)))
}

// Match returns the node of the longest cached prefix of tokens (its Len
// and Handle; the root node, of length 0 and handle mlx.Root, when nothing
// is cached, or when the model is closed), ready, pinned for the caller
// until Unpin. It computes nothing. Its Logits are those stored for that
// prefix, nil when the prefix ends where none were computed.
func (t *Tree) Match(tokens []uint32) *Node {
	n := &Node{tree: t, pins: 1, finished: true, done: closedChan}
	if h, length, err := t.m.MatchPrefix(t.ns, tokens); err == nil {
		n.handle, n.length, n.cached = h, length, length
	}
	n.tokens = append([]uint32(nil), tokens[:n.length]...)
	return n
}

// InsertPending returns the node for tokens, pinned for the caller until
// Unpin; it becomes ready (Wait, IsReady) when its KV and last token's
// logits are computed. Concurrent callers with the same tokens get the same
// *Node, computed once. The first caller starts the computation in the
// background: from the longest cached prefix (pinned while it is extended),
// so only the new tokens run through the model.
//
// A failed computation poisons the node: Wait returns the error
// (errors.Is(err, mlx.ErrComputationFailed) etc.), and the node is pruned
// so that a later InsertPending of the same tokens computes them again.
// Errors returned at once: mlx.ErrInvalidTokens for empty tokens.
func (t *Tree) InsertPending(tokens []uint32) (*Node, error) {
	if len(tokens) == 0 {
		return nil, &mlx.Error{Code: mlx.CodeInvalidTokens, Msg: "no tokens"}
	}
	key := tokenKey(tokens)
	t.mu.Lock()
	if n, ok := t.live[key]; ok {
		n.pins++
		t.mu.Unlock()
		return n, nil
	}
	n := &Node{
		tree:   t,
		tokens: append([]uint32(nil), tokens...),
		length: len(tokens),
		key:    key,
		pins:   1,
		done:   make(chan struct{}),
	}
	t.live[key] = n
	t.mu.Unlock()
	go n.compute()
	return n, nil
}

// Unpin drops one pin of n (one per Match or InsertPending that returned
// it). When the last pin is dropped, n's engine handle is freed (at once,
// or when its computation finishes) and its KV becomes evictable; n's
// Handle must not be used after that. Unpinning more often than n was
// returned panics. nil is allowed.
func (t *Tree) Unpin(n *Node) {
	if n == nil {
		return
	}
	if n.tree != t {
		panic("radix: Unpin of a node of another tree")
	}
	t.mu.Lock()
	if n.pins <= 0 {
		t.mu.Unlock()
		panic("radix: Unpin of an unpinned node")
	}
	n.pins--
	release := n.pins == 0
	if release {
		t.forgetLocked(n)
	}
	free := release && n.finished
	t.mu.Unlock()
	if free {
		mlx.FreeCache(n.handle)
	}
}

// forgetLocked removes n from the live map if it is there. REQUIRES t.mu.
func (t *Tree) forgetLocked(n *Node) {
	if n.key != "" && t.live[n.key] == n {
		delete(t.live, n.key)
	}
}

// EvictLRU evicts up to n least-recently-used unpinned leaves of the
// engine's cache tree (the whole tree: every namespace) and returns how
// many tokens' KV it freed. Pinned nodes (and any KV a live handle holds)
// are never touched.
func (t *Tree) EvictLRU(n int) int {
	r, err := t.m.EvictLeaves(n)
	if err != nil {
		return 0
	}
	return int(r.Tokens)
}

// liveNodes returns how many InsertPending nodes are in the live map.
func (t *Tree) liveNodes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.live)
}

// errNotReady is what Node.Err returns while the node computes.
var errNotReady = errors.New("radix: node not ready")

var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()
