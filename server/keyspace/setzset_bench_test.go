package keyspace

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchMembers are the members redis-benchmark's SADD and ZADD tests send with -r 100000.
func benchMembers() [][]byte {
	ms := make([][]byte, 100000)
	for i := range ms {
		ms[i] = fmt.Appendf(nil, "element:%012d", i)
	}
	return ms
}

// BenchmarkZSetAddRandom is the sorted set side of redis-benchmark's ZADD test once it has run a while: a
// random member of 100000 gets a random integer score, in a set that already holds most of them.
func BenchmarkZSetAddRandom(b *testing.B) {
	ms := benchMembers()
	rng := rand.New(rand.NewPCG(1, 2))
	z := NewZSet(true)
	lim := ZLimits{128, 64}
	for range 200000 {
		z.Add(ms[rng.IntN(len(ms))], float64(rng.IntN(len(ms))), 0, lim)
	}
	b.ReportAllocs()
	for b.Loop() {
		z.Add(ms[rng.IntN(len(ms))], float64(rng.IntN(len(ms))), 0, lim)
	}
}

// BenchmarkSetAddRandom is the set side of redis-benchmark's SADD test from an empty set (run it with
// -benchtime 200000x to match one bench-types run).
func BenchmarkSetAddRandom(b *testing.B) {
	ms := benchMembers()
	rng := rand.New(rand.NewPCG(1, 2))
	s := NewSetFor(ms[0], 1, SetLimits{512, 128, 64})
	lim := SetLimits{512, 128, 64}
	b.ReportAllocs()
	for b.Loop() {
		s.Add(ms[rng.IntN(len(ms))], lim)
	}
}
