package server

import (
	"strconv"
	"testing"
	"time"
)

func TestObjectFreqAndIdletimeByPolicy(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	mustDo(t, r, "OK", "SET", "k", "v")
	mustDo(t, r, "-"+errLFUNotSelected, "OBJECT", "FREQ", "k")
	mustDo(t, r, "-ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.", "OBJECT", "FREQ", "k")
	mustDo(t, r, ":0", "OBJECT", "IDLETIME", "k")
	mustDo(t, r, "(nil)", "OBJECT", "FREQ", "missing")
	for _, policy := range []string{"allkeys-lfu", "volatile-lfu"} {
		mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory-policy", policy)
		mustDo(t, r, "OK", "SET", "k", "v")
		mustDo(t, r, ":5", "OBJECT", "FREQ", "k") // a new key starts at LFU_INIT_VAL
		mustDo(t, r, "-"+errLFUSelected, "OBJECT", "IDLETIME", "k")
	}
	mustDo(t, r, "OK", "CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
	mustDo(t, r, "OK", "SET", "k", "v")
	mustDo(t, r, ":0", "OBJECT", "IDLETIME", "k")
	mustDo(t, r, "-"+errLFUNotSelected, "OBJECT", "FREQ", "k")
}

// Under an LFU policy every read (not OBJECT FREQ itself, not a NO-TOUCH client) may raise the counter:
// with lfu-log-factor 0 every access does; with the default factor the growth is logarithmic.
func TestLFUFreqGrowsWithAccesses(t *testing.T) {
	n := startNode(t, "maxmemory-policy", "allkeys-lfu", "lfu-log-factor", "0")
	r := n.raw()
	mustDo(t, r, "OK", "SET", "k", "v")
	for i := 0; i < 100; i++ {
		r.do("GET", "k")
	}
	mustDo(t, r, ":105", "OBJECT", "FREQ", "k")
	mustDo(t, r, ":105", "OBJECT", "FREQ", "k")
	mustDo(t, r, "OK", "CLIENT", "NO-TOUCH", "ON")
	r.do("GET", "k")
	mustDo(t, r, ":105", "OBJECT", "FREQ", "k")
	mustDo(t, r, ":1", "TOUCH", "k") // TOUCH counts even for a NO-TOUCH client
	mustDo(t, r, ":106", "OBJECT", "FREQ", "k")
	mustDo(t, r, "OK", "CLIENT", "NO-TOUCH", "OFF")
	for i := 0; i < 300; i++ {
		r.do("GET", "k")
	}
	mustDo(t, r, ":255", "OBJECT", "FREQ", "k") // the counter saturates

	mustDo(t, r, "OK", "CONFIG", "SET", "lfu-log-factor", "10")
	mustDo(t, r, "OK", "SET", "j", "v")
	for i := 0; i < 1000; i++ {
		r.do("GET", "j")
	}
	f, _ := strconv.Atoi(r.do("OBJECT", "FREQ", "j")[1:])
	if f <= 5 || f >= 60 {
		t.Fatalf("1000 accesses with lfu-log-factor 10: counter %d", f)
	}
}

// The counter loses one per lfu-decay-time minutes without access, and the 16-bit minute clock wraps.
func TestLFUDecay(t *testing.T) {
	n := startNode(t, "maxmemory-policy", "allkeys-lfu")
	s := n.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Unix(1_700_000_000, 0)
	field := func(minutesAgo int, counter uint32) uint32 {
		return (lfuMinutes(now)-uint32(minutesAgo))&0xffff<<8 | counter
	}
	for _, c := range []struct {
		decay   int64
		ago     int
		counter uint32
		want    uint32
	}{
		{1, 0, 20, 20}, {1, 3, 20, 17}, {2, 7, 20, 17}, {1, 30, 20, 0}, {0, 300, 20, 20}, {10, 9, 20, 20},
	} {
		s.cfg.Memory.LFUDecayTime = c.decay
		if got := s.lfuCounter(field(c.ago, c.counter), now); got != c.want {
			t.Errorf("decay %d, %d minutes ago, counter %d: %d, want %d", c.decay, c.ago, c.counter, got, c.want)
		}
	}
	// a last decrement just before the minute clock wrapped
	s.cfg.Memory.LFUDecayTime = 1
	wrapNow := time.Unix(int64(0x10000+2)*60, 0) // minute clock at 2
	if got := s.lfuCounter(0xfffe<<8|10, wrapNow); got != 7 {
		t.Errorf("across the wrap: %d, want 7", got)
	}
	// an access decays first, then counts, and stamps the current minute
	s.cfg.Memory.LFULogFactor = 0
	if got := s.lfuAccess(field(3, 20), now); got != lfuMinutes(now)<<8|18 {
		t.Errorf("access after 3 idle minutes: %x", got)
	}
}
