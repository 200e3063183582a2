package server

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// The exact-reply table of list_test.go gives the same replies on the real redis-server.
func TestListTableMatchesRedis(t *testing.T) {
	ref, _ := startRedisServer(t)
	runSteps(t, ref, listCommonSteps)
}

// listCmdGen generates random list commands, valid and invalid, over a few keys (one of which often
// holds a string) so that the commands meet missing keys, empty lists, wrong types and bad arguments.
type listCmdGen struct{ r *rand.Rand }

func (g listCmdGen) key() string {
	if g.r.IntN(12) == 0 {
		return "str"
	}
	return "l" + strconv.Itoa(g.r.IntN(4))
}

func (g listCmdGen) elem() string {
	switch g.r.IntN(20) {
	case 0:
		return ""
	case 1:
		return strings.Repeat("x", 100+g.r.IntN(300))
	case 2:
		return strings.Repeat("y", 9000) // larger than a default node: a plain node
	case 3, 4, 5:
		return strconv.Itoa(g.r.IntN(2000) - 1000)
	}
	return string(rune('a' + g.r.IntN(6)))
}

func (g listCmdGen) index() string {
	switch g.r.IntN(20) {
	case 0:
		return "abc"
	case 1:
		return "9223372036854775807"
	case 2:
		return "-9223372036854775808"
	}
	return strconv.Itoa(g.r.IntN(30) - 15)
}

func (g listCmdGen) where() string {
	switch g.r.IntN(20) {
	case 0:
		return "middle"
	case 1, 2, 3, 4, 5, 6, 7, 8, 9:
		return "LEFT"
	}
	return "right"
}

func (g listCmdGen) count() string {
	switch g.r.IntN(15) {
	case 0:
		return "0"
	case 1:
		return "-1"
	case 2:
		return "x"
	}
	return strconv.Itoa(g.r.IntN(6) + 1)
}

func (g listCmdGen) keys() []string {
	n := g.r.IntN(3) + 1
	out := make([]string, n)
	for i := range out {
		out[i] = g.key()
	}
	return out
}

func (g listCmdGen) next() []string {
	r := g.r
	switch r.IntN(30) {
	case 0, 1, 2:
		args := []string{"LPUSH", g.key()}
		n := r.IntN(4) + 1
		if r.IntN(8) == 0 {
			n = 20 + r.IntN(60) // long enough lists for several quicklist nodes
		}
		for i := n; i > 0; i-- {
			args = append(args, g.elem())
		}
		return args
	case 3, 4, 5:
		args := []string{"RPUSH", g.key()}
		for i := r.IntN(4) + 1; i > 0; i-- {
			args = append(args, g.elem())
		}
		return args
	case 6:
		return []string{[]string{"LPUSHX", "RPUSHX"}[r.IntN(2)], g.key(), g.elem(), g.elem()}
	case 7, 8:
		args := []string{[]string{"LPOP", "RPOP"}[r.IntN(2)], g.key()}
		if r.IntN(2) == 0 {
			args = append(args, g.count())
		}
		return args
	case 9:
		return []string{"LLEN", g.key()}
	case 10, 11:
		return []string{"LRANGE", g.key(), g.index(), g.index()}
	case 12:
		return []string{"LINDEX", g.key(), g.index()}
	case 13:
		return []string{"LSET", g.key(), g.index(), g.elem()}
	case 14:
		return []string{"LINSERT", g.key(), []string{"BEFORE", "after", "around"}[r.IntN(3)], g.elem(), g.elem()}
	case 15:
		return []string{"LREM", g.key(), strconv.Itoa(r.IntN(7) - 3), g.elem()}
	case 16:
		return []string{"LTRIM", g.key(), g.index(), g.index()}
	case 17, 18:
		args := []string{"LPOS", g.key(), g.elem()}
		for i := r.IntN(3); i > 0; i-- {
			switch r.IntN(4) {
			case 0:
				// RANK LONG_MIN is left out: Redis 7.0 accepts it, Valkey refuses it
				args = append(args, "RANK", []string{"1", "2", "-1", "-3", "0", "x"}[r.IntN(6)])
			case 1:
				args = append(args, "COUNT", g.count())
			case 2:
				args = append(args, "MAXLEN", []string{"0", "1", "3", "-1"}[r.IntN(4)])
			default:
				args = append(args, "BOGUS")
			}
		}
		return args
	case 19:
		return []string{"LMOVE", g.key(), g.key(), g.where(), g.where()}
	case 20:
		return []string{"RPOPLPUSH", g.key(), g.key()}
	case 21, 22:
		ks := g.keys()
		nk := strconv.Itoa(len(ks))
		if r.IntN(10) == 0 {
			nk = []string{"0", "-1", "9", "x"}[r.IntN(4)]
		}
		args := append([]string{"LMPOP", nk}, ks...)
		args = append(args, g.where())
		if r.IntN(2) == 0 {
			args = append(args, "COUNT", g.count())
		}
		return args
	case 23:
		// the blocking forms, on keys that often hold elements; when they do not, they time out at once
		switch r.IntN(4) {
		case 0:
			return append(append([]string{"BLPOP"}, g.keys()...), "0.001")
		case 1:
			return append(append([]string{"BRPOP"}, g.keys()...), "0.001")
		case 2:
			return []string{"BLMOVE", g.key(), g.key(), g.where(), g.where(), "0.001"}
		default:
			ks := g.keys()
			return append(append([]string{"BLMPOP", "0.001", strconv.Itoa(len(ks))}, ks...), g.where(), "COUNT", g.count())
		}
	case 24:
		return []string{"SET", "str", g.elem()}
	case 25:
		return []string{"DEL", g.key()}
	case 26:
		return []string{"TYPE", g.key()}
	case 27:
		return []string{"EXISTS", g.key(), g.key()}
	}
	return []string{"LRANGE", g.key(), "0", "-1"}
}

// TestListDifferential sends the same seeded random list commands to redis-server 7.0 and to
// valkey-node, in RESP2 and RESP3, and compares every reply. The commands use no doubles, so no
// normalisation is needed; OBJECT ENCODING is left out (Redis 7.0 has no listpack lists). The RESP3 run
// limits valkey-node's nodes to 4 elements, so that the same replies must come from lists split over
// many quicklist nodes.
func TestListDifferential(t *testing.T) {
	for _, proto := range []string{"2", "3"} {
		t.Run("RESP"+proto, func(t *testing.T) {
			ref, _ := startRedisServer(t)
			var n *testNode
			if proto == "3" {
				n = startNode(t, "list-max-listpack-size", "4")
			} else {
				n = startNode(t)
			}
			got := n.raw()
			if proto == "3" {
				ref.do("HELLO", "3")
				got.do("HELLO", "3")
			}
			seed := uint64(4242)
			if proto == "3" {
				seed = 4343
			}
			g := listCmdGen{rand.New(rand.NewPCG(seed, 1))}
			const steps = 3000
			var history []string
			for i := 0; i < steps; i++ {
				args := g.next()
				history = append(history, strings.Join(args, " "))
				want := ref.do(args...)
				have := got.do(args...)
				if want != have {
					from := max(0, len(history)-15)
					t.Fatalf("step %d (seed %d) %s\n redis-server: %.300s\n valkey-node:  %.300s\nrecent commands:\n  %s",
						i, seed, shorten(history[len(history)-1]), want, have, shorten(strings.Join(history[from:], "\n  ")))
				}
			}
			// the final data set is the same
			for k := 0; k < 4; k++ {
				key := fmt.Sprint("l", k)
				if want, have := ref.do("LRANGE", key, "0", "-1"), got.do("LRANGE", key, "0", "-1"); want != have {
					t.Fatalf("final %s differs:\n redis-server: %.300s\n valkey-node:  %.300s", key, want, have)
				}
			}
		})
	}
}

// shorten abbreviates the long elements of a command listing.
func shorten(s string) string {
	for _, c := range []string{"x", "y"} {
		for n := 9000; n >= 100; n /= 3 {
			s = strings.ReplaceAll(s, strings.Repeat(c, n), c+"*"+strconv.Itoa(n)+"...")
		}
	}
	return s
}
