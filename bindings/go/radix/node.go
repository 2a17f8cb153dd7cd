package radix

import (
	"sync"

	mlx "github.com/radixlm/radixlm/bindings/go/mlx"
)

// Node is a view of one computed (or computing) sequence of the engine's
// cache tree; see the package comment for pins.
type Node struct {
	tree   *Tree
	tokens []uint32 // immutable
	key    string   // the live map key; "" for Match nodes

	done chan struct{} // closed when ready or failed
	// Set before done is closed, immutable after:
	handle uint64
	length int
	cached int // tokens served from the cache
	err    error
	logits []float32

	logitsOnce sync.Once // Match nodes fetch their logits lazily

	// Guarded by tree.mu:
	pins     int
	finished bool
}

// compute runs the node's sequence on the engine; the first InsertPending
// caller starts it.
func (n *Node) compute() {
	t := n.tree
	m := t.m
	logits := make([]float32, m.VocabSize())
	h, err := n.forward(logits)
	t.mu.Lock()
	if err != nil {
		n.err = err
		t.forgetLocked(n) // prune: a later InsertPending retries
	} else {
		n.handle, n.logits = h, logits
	}
	n.finished = true
	free := n.pins == 0 && err == nil
	if free {
		t.forgetLocked(n)
	}
	close(n.done)
	t.mu.Unlock()
	if free {
		mlx.FreeCache(h)
	}
}

// forward computes n.tokens from their longest cached prefix, writing the
// last token's logits, and returns the handle of the whole sequence.
func (n *Node) forward(logits []float32) (uint64, error) {
	t := n.tree
	base, matched, err := t.m.MatchPrefix(t.ns, n.tokens)
	if err != nil {
		return 0, err
	}
	n.cached = matched
	if matched == len(n.tokens) {
		// Already cached; use it when it kept its logits, otherwise let the
		// engine recompute the last token from the root.
		if ok, err := mlx.CacheLogits(base, logits); err == nil && ok {
			return base, nil
		}
		mlx.FreeCache(base)
		base, matched = mlx.Root, 0
	}
	h, err := mlx.ForwardWithCacheNS(t.m, t.ns, n.tokens[matched:], base, logits)
	mlx.FreeCache(base) // the prefix is pinned by h now (or no longer needed)
	return h, err
}

// Wait blocks until n is ready or failed and returns its error (nil when
// ready).
func (n *Node) Wait() error {
	<-n.done
	return n.err
}

// IsReady reports whether n's KV and logits are computed.
func (n *Node) IsReady() bool {
	select {
	case <-n.done:
		return n.err == nil
	default:
		return false
	}
}

// Err returns the error of a failed node, nil for a ready one, and a
// not-ready error while it computes.
func (n *Node) Err() error {
	select {
	case <-n.done:
		return n.err
	default:
		return errNotReady
	}
}

// Len is the length of n's sequence in tokens (for a Match node, of the
// matched prefix).
func (n *Node) Len() int { return n.length }

// Tokens returns n's token sequence; callers must not modify it.
func (n *Node) Tokens() []uint32 { return n.tokens }

// Handle returns n's engine cache handle (mlx.Root for the root node; 0
// until ready), valid while n is pinned; extend it with mlx.ForwardWithCache.
func (n *Node) Handle() uint64 {
	if !n.IsReady() {
		return 0
	}
	return n.handle
}

// CachedLen is how many of n's tokens were already cached when it was
// computed (InsertPending) or matched (Match: Len).
func (n *Node) CachedLen() int {
	<-n.done
	return n.cached
}

// Logits returns the last token's logits of a ready node (shared by every
// holder of n: callers must not modify them), or nil when n is not ready or
// has none (the root; a Match that ends where no logits were computed).
// For a Match node they are read from the engine on the first call, which
// REQUIRES n to be pinned.
func (n *Node) Logits() []float32 {
	if !n.IsReady() {
		return nil
	}
	if n.key == "" {
		n.logitsOnce.Do(func() {
			if n.handle == mlx.Root {
				return
			}
			buf := make([]float32, n.tree.m.VocabSize())
			if ok, err := mlx.CacheLogits(n.handle, buf); err == nil && ok {
				n.logits = buf
			}
		})
	}
	return n.logits
}
