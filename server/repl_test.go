package server

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pipeline sends every command in one write and reads all the replies; it fails on an error reply.
func pipeline(t *testing.T, r *rawConn, cmds [][]string) {
	t.Helper()
	var buf bytes.Buffer
	for i, c := range cmds {
		buf.Write(respCommand(c...))
		if buf.Len() > 1<<20 || i == len(cmds)-1 {
			r.send(buf.String())
			buf.Reset()
		}
	}
	for i := range cmds {
		if got := r.reply(); strings.HasPrefix(got, "-") {
			t.Fatalf("%v: %s", cmds[i], got)
		}
	}
}

// mixedWorkload is n keys spread over every type (and a few databases), then changes to them, generated
// from seed: what a replica must reproduce.
func mixedWorkload(seed uint64, n int) [][]string {
	rng := rand.New(rand.NewPCG(seed, 7))
	var cmds [][]string
	db := 0
	for i := 0; i < n; i++ {
		if i%10000 == 0 {
			db = (db + 1) % 3
			cmds = append(cmds, []string{"SELECT", strconv.Itoa(db)})
		}
		k := fmt.Sprintf("key:%d", i)
		switch i % 7 {
		case 0:
			cmds = append(cmds, []string{"SET", k, strconv.Itoa(rng.IntN(1 << 30))})
		case 1:
			cmds = append(cmds, []string{"SET", k, strings.Repeat("v", 1+rng.IntN(100)), "PX", strconv.Itoa(3_600_000 + rng.IntN(1000))})
		case 2:
			cmds = append(cmds, []string{"RPUSH", k, "a", "b", strconv.Itoa(i)})
		case 3:
			cmds = append(cmds, []string{"HSET", k, "f1", "v1", "f2", strconv.Itoa(i)})
		case 4:
			cmds = append(cmds, []string{"SADD", k, strconv.Itoa(i), "x", "y"})
		case 5:
			cmds = append(cmds, []string{"ZADD", k, "1.5", "m1", strconv.Itoa(i), "m2"})
		case 6:
			cmds = append(cmds, []string{"PFADD", k, "a", "b", strconv.Itoa(i)})
		}
	}
	return cmds
}

// liveWrites changes existing keys in every way while replicas follow, including the commands whose
// propagation is rewritten (expiries, SPOP, INCRBYFLOAT, blocking pops) and a transaction.
func liveWrites(seed uint64, n int) [][]string {
	rng := rand.New(rand.NewPCG(seed, 11))
	cmds := [][]string{{"SELECT", "1"}}
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("key:%d", rng.IntN(10000))
		switch rng.IntN(10) {
		case 0:
			cmds = append(cmds, []string{"INCRBYFLOAT", fmt.Sprintf("f:%d", i%50), "0.1"})
		case 1:
			cmds = append(cmds, []string{"SPOP", fmt.Sprintf("s:%d", i%20)}, []string{"SADD", fmt.Sprintf("s:%d", i%20), "a", "b", "c", strconv.Itoa(i)})
		case 2:
			cmds = append(cmds, []string{"EXPIRE", k, "5000"})
		case 3:
			cmds = append(cmds, []string{"DEL", k})
		case 4:
			cmds = append(cmds, []string{"SET", k, strconv.Itoa(i), "EX", "10000"})
		case 5:
			cmds = append(cmds, []string{"LPUSH", "q", strconv.Itoa(i)}, []string{"BRPOP", "q", "1"})
		case 6:
			cmds = append(cmds, []string{"MULTI"}, []string{"INCR", "counter"}, []string{"HINCRBYFLOAT", "h", "x", "1.5"}, []string{"EXEC"})
		case 7:
			cmds = append(cmds, []string{"ZINCRBY", "z", "2", strconv.Itoa(i % 30)})
		case 8:
			cmds = append(cmds, []string{"APPEND", fmt.Sprintf("a:%d", i%10), "xy"})
		case 9:
			cmds = append(cmds, []string{"SETRANGE", fmt.Sprintf("a:%d", i%10), "1", "Z"})
		}
	}
	return cmds
}

// digestOf is DEBUG DIGEST: Valkey's digest of the whole data set (same on every node with the same data).
func digestOf(t *testing.T, r *rawConn) string {
	t.Helper()
	return r.do("DEBUG", "DIGEST")
}

// scanAll renders every key of databases 0-2 with its contents (a full scan, independent of the digest).
func scanDBs(t *testing.T, r *rawConn) string {
	var b strings.Builder
	for db := 0; db < 3; db++ {
		r.do("SELECT", strconv.Itoa(db))
		fmt.Fprintf(&b, "db%d\n", db)
		b.WriteString(contents(t, r))
	}
	r.do("SELECT", "0")
	return b.String()
}

func replOffset(t *testing.T, r *rawConn) string {
	return infoField(t, r, "replication", "master_repl_offset")
}

func infoField(t *testing.T, r *rawConn, section, field string) string {
	t.Helper()
	for _, l := range strings.Split(r.call("INFO", section).str, "\r\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			return v
		}
	}
	return ""
}

// caughtUp waits until every replica's offset equals the primary's.
func caughtUp(t *testing.T, primary *rawConn, replicas ...*rawConn) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		want := replOffset(t, primary)
		ok := true
		var states []string
		for _, r := range replicas {
			link, off := infoField(t, r, "replication", "master_link_status"), infoField(t, r, "replication", "slave_repl_offset")
			states = append(states, link+"/"+off)
			if link != "up" || off != want {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replicas did not catch up: primary offset %s, replicas (link/offset) %v\nprimary INFO replication:\n%s",
				want, states, primary.call("INFO", "replication").str)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestReplicationOverTLS: a TLS primary with 100k keys of every type, two TLS replicas: both sync fully,
// follow a live write stream, and hold exactly the primary's data (digest and full scan).
func TestReplicationOverTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("100k keys")
	}
	p := startNode(t, "tls", "enable-debug-command", "yes", "repl-diskless-sync-delay", "0")
	pr := p.raw()
	pipeline(t, pr, mixedWorkload(1, 100_000))
	var reps []*testNode
	for i := 0; i < 2; i++ {
		reps = append(reps, startNode(t, "tls", "enable-debug-command", "yes", "tls-replication", "yes",
			"replicaof", "127.0.0.1 "+portOf(p.tlsAddr)))
	}
	rr := []*rawConn{reps[0].raw(), reps[1].raw()}
	caughtUp(t, pr, rr...)
	pipeline(t, pr, liveWrites(2, 20_000))
	caughtUp(t, pr, rr...)
	want := digestOf(t, pr)
	for i, r := range rr {
		if got := digestOf(t, r); got != want {
			t.Fatalf("replica %d digest %s, primary %s", i, got, want)
		}
	}
	wantScan := scanDBs(t, pr)
	for i, r := range rr {
		if got := scanDBs(t, r); got != wantScan {
			t.Fatalf("replica %d differs: %s", i, firstDiff(got, wantScan))
		}
	}
	if got := infoField(t, pr, "replication", "connected_slaves"); got != "2" {
		t.Fatalf("connected_slaves = %s", got)
	}
	if got := rr[0].do("SET", "x", "1"); got != "-READONLY You can't write against a read only replica." {
		t.Fatalf("write on a replica: %s", got)
	}
	if got := pr.do("WAIT", "2", "5000"); got != ":2" {
		t.Fatalf("WAIT 2: %s", got)
	}
	if got := rr[0].do("ROLE"); !strings.HasPrefix(got, `["slave" "127.0.0.1" `) || !strings.Contains(got, `"connected"`) {
		t.Fatalf("ROLE on a replica: %s", got)
	}
}

// portOf is the port of a host:port address.
func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
