package mlx

import "sync"

// handleRegistry maps every live handle id (never Root) to its *Model, so
// that SliceCache and FreeCache need no model argument (handle ids are
// unique in the process). It is sharded by id: every forward adds an id and
// every FreeCache removes one, a write-heavy load for which sync.Map (which
// allocates per new key) is slower.
//
// Thread safety: all methods may be called concurrently.
type handleRegistry struct {
	shards [registryShards]registryShard
}

const registryShards = 16

type registryShard struct {
	mu sync.Mutex
	m  map[uint64]*Model // guarded by mu
	_  [40]byte          // keep shards on separate cache lines
}

var registry = newHandleRegistry()

func newHandleRegistry() *handleRegistry {
	r := &handleRegistry{}
	for i := range r.shards {
		r.shards[i].m = make(map[uint64]*Model)
	}
	return r
}

func (r *handleRegistry) shard(h uint64) *registryShard {
	return &r.shards[h%registryShards]
}

// add records that h belongs to m; Root is never recorded.
func (r *handleRegistry) add(h uint64, m *Model) {
	if h == Root {
		return
	}
	s := r.shard(h)
	s.mu.Lock()
	s.m[h] = m
	s.mu.Unlock()
}

// get returns h's model, nil when h is not live.
func (r *handleRegistry) get(h uint64) *Model {
	s := r.shard(h)
	s.mu.Lock()
	m := s.m[h]
	s.mu.Unlock()
	return m
}

// remove forgets h and returns its model (nil when h was not live).
func (r *handleRegistry) remove(h uint64) *Model {
	s := r.shard(h)
	s.mu.Lock()
	m, ok := s.m[h]
	if ok {
		delete(s.m, h)
	}
	s.mu.Unlock()
	return m
}

// dropModel forgets every handle of m.
func (r *handleRegistry) dropModel(m *Model) {
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		for h, hm := range s.m {
			if hm == m {
				delete(s.m, h)
			}
		}
		s.mu.Unlock()
	}
}
