package clusterbus

import (
	"net"
	"strconv"
	"testing"
	"time"
)

// A transport's links: its packet connection to a peer ("to") with the bytes waiting in it, and the
// peer's packet connection to it ("from"). A peer that stops reading makes the bytes pile up.
func TestTransportLinks(t *testing.T) {
	trNoLeaks(t)
	start := time.Now().UnixMilli()
	a := trTransport(t, "c", nil, newTrLogs(t, "a"))
	b := trTransport(t, "c", nil, newTrLogs(t, "b"))
	if _, err := a.WriteTo([]byte("hello"), b.addr()); err != nil {
		t.Fatal(err)
	}
	trWait(t, "a's link to b and b's from a", func() bool { return len(a.Links()) == 1 && len(b.Links()) == 1 })
	out, in := a.Links()[0], b.Links()[0]
	if out.Inbound || out.Peer != b.addr() || out.Created < start || out.SendBufAllocated < maxWriteBatch {
		t.Errorf("a's link: %+v", out)
	}
	if !in.Inbound || in.Peer != a.addr() || in.Created < start || in.SendBufAllocated != 0 || in.SendBufUsed != 0 {
		t.Errorf("b's link: %+v", in)
	}

	// A peer that answers the hello and then reads nothing.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	stuck := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if _, err := readHello(c); err == nil {
			_, _ = c.Write(hello{kind: connReply, label: "c"}.encode())
		}
		stuck <- c
	}()
	t.Cleanup(func() {
		select {
		case c := <-stuck:
			_ = c.Close()
		default:
		}
	})
	peer := "127.0.0.1:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	packet := make([]byte, 256<<10)
	trWait(t, "bytes to wait in the link to a peer that does not read", func() bool {
		_, _ = a.WriteTo(packet, peer)
		for _, l := range a.Links() {
			if l.Peer == peer && l.SendBufUsed > 0 {
				return l.SendBufAllocated >= l.SendBufUsed+maxWriteBatch
			}
		}
		return false
	})
}

// CLUSTER LINKS on a formed cluster: for every other node, this node's link to it and its link here,
// each a map of Valkey's six fields.
func TestClusterLinksReply(t *testing.T) {
	start := time.Now().UnixMilli()
	nodes := clCluster(t, 3, clOpts{label: "c"})
	for _, n := range nodes[1:] {
		n.meet(t, nodes[0])
	}
	clWaitConverged(t, nodes...)
	for _, n := range nodes {
		want := map[string]bool{}
		for _, o := range nodes {
			if o != n {
				want[o.id()+" to"], want[o.id()+" from"] = true, true
			}
		}
		trWait(t, n.name+"'s links to and from every other node", func() bool {
			got := map[string]bool{}
			for _, r := range n.c.LinksReply() {
				m := r.(Map)
				if len(m) != 6 || m[0].Key != "direction" || m[1].Key != "node" || m[2].Key != "create-time" ||
					m[3].Key != "events" || m[4].Key != "send-buffer-allocated" || m[5].Key != "send-buffer-used" {
					t.Fatalf("%s: link entry %v", n.name, m)
				}
				if ct := int64(m[2].Value.(Int)); ct < start || ct > time.Now().UnixMilli() {
					t.Fatalf("%s: create-time %d outside the test", n.name, ct)
				}
				ev := string(m[3].Value.(Bulk))
				if ev != "r" && ev != "rw" || m[0].Value == Bulk("from") && ev != "r" {
					t.Fatalf("%s: events %q on a %v link", n.name, ev, m[0].Value)
				}
				got[string(m[1].Value.(Bulk))+" "+string(m[0].Value.(Bulk))] = true
			}
			if len(got) != len(want) {
				return false
			}
			for k := range want {
				if !got[k] {
					return false
				}
			}
			return true
		})
	}
}
