package clusterbus

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// The Filter test hook cuts one peer off in both directions while the transport runs, and healing
// restores traffic on the same links: packets sent across the cut are lost (the sender is not told),
// dials across it fail on both sides. Packets on one link arrive in order, so "the first packet after
// the heal is the one sent after it" shows that the one sent during the cut was dropped.
func TestTransportFilterCutsAndHeals(t *testing.T) {
	trNoLeaks(t)
	logs := newTrLogs(t, "transports")
	b := trTransport(t, "c1", nil, logs)
	var cut atomic.Bool
	var denied atomic.Int32 // traffic the filter stopped
	a, err := NewTransport(TransportConfig{
		BindAddr: "127.0.0.1", Label: "c1", Log: zerolog.New(logs).Level(zerolog.DebugLevel),
		Filter: func(peer string) bool {
			if cut.Load() && peer == b.addr() {
				denied.Add(1)
				return false
			}
			return true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Shutdown() })

	send := func(from, to *Transport, msg string) {
		t.Helper()
		if _, err := from.WriteTo([]byte(msg), to.addr()); err != nil {
			t.Fatalf("WriteTo %s: %v", msg, err)
		}
	}
	recv := func(on *Transport) string {
		t.Helper()
		select {
		case p := <-on.PacketCh():
			return string(p.Buf)
		case <-time.After(20 * time.Second):
			t.Fatal("no packet arrived")
			return ""
		}
	}
	// Links up both ways.
	send(a, b, "a1")
	send(b, a, "b1")
	if got := recv(b); got != "a1" {
		t.Fatalf("b received %q", got)
	}
	if got := recv(a); got != "b1" {
		t.Fatalf("a received %q", got)
	}

	cut.Store(true)
	send(a, b, "a-cut") // dropped before the link
	send(b, a, "b-cut") // crosses the link, ignored by a
	// b's send is asynchronous: wait until a has read b-cut (and asked the filter), so that healing
	// cannot overtake it.
	trWait(t, "a to read b-cut", func() bool { return denied.Load() == 2 })
	if _, err := a.DialTimeout(b.addr(), time.Second); !errors.Is(err, errFiltered) {
		t.Errorf("dial from a across the cut: %v, want the filter's error", err)
	}
	if c, err := b.DialTimeout(a.addr(), 5*time.Second); err == nil {
		c.Close()
		t.Error("dial from b across the cut succeeded")
	}

	cut.Store(false)
	send(a, b, "a2")
	send(b, a, "b2")
	if got := recv(b); got != "a2" {
		t.Errorf("b's first packet after the heal is %q, want a2", got)
	}
	if got := recv(a); got != "b2" {
		t.Errorf("a's first packet after the heal is %q, want b2", got)
	}
	for _, d := range [][2]*Transport{{a, b}, {b, a}} {
		c, err := d[0].DialTimeout(d[1].addr(), 5*time.Second)
		if err != nil {
			t.Fatalf("dial after the heal: %v", err)
		}
		c.Close()
		<-d[1].StreamCh() // the acceptor's end; its Shutdown closes it
	}
}
