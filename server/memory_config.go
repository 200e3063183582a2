package server

import (
	"errors"
	"math"
	"strings"

	"github.com/valkey-node/valkey-node/server/config"
)

// memorySettings are the memory-limit and lazy-free directives (evict.go, lazyfree.go).
type memorySettings struct {
	// Maxmemory is maxmemory in bytes; 0 means no limit.
	Maxmemory int64
	// Policy is maxmemory-policy.
	Policy evictPolicy
	// Samples is maxmemory-samples: keys sampled per database for each eviction pool refill.
	Samples int64
	// Tenacity is maxmemory-eviction-tenacity (0..100): how long one command may spend evicting.
	Tenacity int64
	// Clients is maxmemory-clients, accepted only at 0 (no client eviction).
	Clients string
	// LFULogFactor and LFUDecayTime are lfu-log-factor and lfu-decay-time (minutes).
	LFULogFactor int64
	LFUDecayTime int64
	// The lazyfree-lazy-* switches: which deletions hand large values to the background freer.
	LazyEviction, LazyExpire, LazyServerDel, LazyUserDel, LazyUserFlush bool
}

// evictPolicy is a maxmemory-policy.
type evictPolicy uint8

const (
	policyNoEviction evictPolicy = iota
	policyAllkeysLRU
	policyAllkeysLFU
	policyAllkeysRandom
	policyVolatileLRU
	policyVolatileLFU
	policyVolatileRandom
	policyVolatileTTL
)

// evictPolicyNames are the maxmemory-policy values, in the order Valkey's error message lists them.
var evictPolicyNames = []struct {
	p    evictPolicy
	name string
}{
	{policyVolatileLRU, "volatile-lru"}, {policyVolatileLFU, "volatile-lfu"}, {policyVolatileRandom, "volatile-random"},
	{policyVolatileTTL, "volatile-ttl"}, {policyAllkeysLRU, "allkeys-lru"}, {policyAllkeysLFU, "allkeys-lfu"},
	{policyAllkeysRandom, "allkeys-random"}, {policyNoEviction, "noeviction"},
}

func (p evictPolicy) String() string {
	for _, n := range evictPolicyNames {
		if n.p == p {
			return n.name
		}
	}
	return "noeviction"
}

// lfu reports whether the policy ranks keys by access frequency (Object.LRU then holds an LFU counter).
func (p evictPolicy) lfu() bool { return p == policyAllkeysLFU || p == policyVolatileLFU }

// volatile reports whether the policy only evicts keys with a time to live.
func (p evictPolicy) volatile() bool { return p >= policyVolatileLRU }

// random reports whether the policy picks victims at random rather than through the pool.
func (p evictPolicy) random() bool { return p == policyAllkeysRandom || p == policyVolatileRandom }

// policyValue parses maxmemory-policy into the enum the hot paths test.
type policyValue struct{ p *evictPolicy }

func (v policyValue) Set(args []string) error {
	if len(args) != 1 {
		return errors.New("wrong number of arguments")
	}
	for _, n := range evictPolicyNames {
		if strings.EqualFold(n.name, args[0]) {
			*v.p = n.p
			return nil
		}
	}
	names := make([]string, len(evictPolicyNames))
	for i, n := range evictPolicyNames {
		names[i] = n.name
	}
	return errors.New("argument(s) must be one of the following: " + strings.Join(names, ", "))
}

func (v policyValue) Get() string { return v.p.String() }

// registerMemoryDirectives declares maxmemory, its policy and tuning, and the lazy-free switches.
func (s *Server) registerMemoryDirectives() {
	m := &s.cfg.Memory
	i64 := func(p *int64, lo, hi int64) config.Value { return config.Int{P: p, Min: lo, Max: hi} }
	s.reg.Add(
		&config.Directive{Name: "maxmemory", Default: "0", Value: config.Memory{P: &m.Maxmemory, Min: 0, Max: math.MaxInt64},
			Apply: &config.Apply{Name: "maxmemory", Fn: s.applyMaxmemory}},
		&config.Directive{Name: "maxmemory-policy", Default: "noeviction", Value: policyValue{&m.Policy},
			Apply: &config.Apply{Name: "maxmemory-policy", Fn: s.applyMaxmemoryPolicy}},
		&config.Directive{Name: "maxmemory-samples", Default: "5", Value: i64(&m.Samples, 1, 64)},
		&config.Directive{Name: "maxmemory-eviction-tenacity", Default: "10", Value: i64(&m.Tenacity, 0, 100)},
		// client eviction needs per-client memory tracking on every buffer change; until then only its
		// "off" value is accepted
		&config.Directive{Name: "maxmemory-clients", Default: "0", Value: notYet("maxmemory-clients", &m.Clients, "0")},
		&config.Directive{Name: "lfu-log-factor", Default: "10", Value: i64(&m.LFULogFactor, 0, math.MaxInt32)},
		&config.Directive{Name: "lfu-decay-time", Default: "1", Value: i64(&m.LFUDecayTime, 0, math.MaxInt32)},
		// Valkey 8 made every lazy free the default
		&config.Directive{Name: "lazyfree-lazy-eviction", Default: "yes", Value: config.Bool{P: &m.LazyEviction}},
		&config.Directive{Name: "lazyfree-lazy-expire", Default: "yes", Value: config.Bool{P: &m.LazyExpire}},
		&config.Directive{Name: "lazyfree-lazy-server-del", Default: "yes", Value: config.Bool{P: &m.LazyServerDel}},
		&config.Directive{Name: "lazyfree-lazy-user-del", Default: "yes", Value: config.Bool{P: &m.LazyUserDel}},
		&config.Directive{Name: "lazyfree-lazy-user-flush", Default: "yes", Value: config.Bool{P: &m.LazyUserFlush}},
	)
}

// applyMaxmemory warns, as Valkey does, when the new limit is below what is in use: the next command
// evicts (or is refused, under noeviction) until the data set fits.
func (s *Server) applyMaxmemory() error {
	if max := s.cfg.Memory.Maxmemory; max > 0 {
		s.memSettle()
		if used := s.usedMemory(); used > max {
			s.log.Warn().Int64("maxmemory", max).Int64("used_memory", used).
				Msg("WARNING: the new maxmemory value set via CONFIG SET is smaller than the current memory usage. This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.")
		}
	}
	return nil
}

// applyMaxmemoryPolicy empties the eviction pool: its candidates were ranked by the old policy.
func (s *Server) applyMaxmemoryPolicy() error {
	s.mem.evict.pool = evictionPool{}
	return nil
}
