package replication

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Stop ends every goroutine of the link whatever it is doing (the leak check runs after Stop), reports
// a link that was up as down, and leaves the state "none".
func TestLinkStopInEveryPhase(t *testing.T) {
	phases := []struct {
		name string
		// reach drives the fake primary until the link is in the phase; it returns what Stop should
		// unblock.
		reach func(t *testing.T, p *linkFakePrimary, l *Link, h *linkTestHost)
		up    bool
	}{
		{"handshake", func(t *testing.T, p *linkFakePrimary, l *Link, h *linkTestHost) {
			p.accept().expect("PING") // and never answer
		}, false},
		{"waiting for the RDB", func(t *testing.T, p *linkFakePrimary, l *Link, h *linkTestHost) {
			c := p.accept()
			c.handshake()
			c.send("+FULLRESYNC " + linkTestID('a') + " 1\r\n\n")
		}, false},
		{"loading", func(t *testing.T, p *linkFakePrimary, l *Link, h *linkTestHost) {
			c := p.accept()
			c.handshake()
			c.send("+FULLRESYNC " + linkTestID('a') + " 1\r\n$1000\r\nREDIS")
			linkWaitFor(t, "the load to start", func() bool { return l.Status().SyncReadBytes == 5 })
		}, false},
		{"streaming", func(t *testing.T, p *linkFakePrimary, l *Link, h *linkTestHost) {
			linkSyncedPeer(t, p, 1)
			linkWaitFor(t, "link up", func() bool { return l.Status().Up })
		}, true},
		{"backoff", func(t *testing.T, p *linkFakePrimary, l *Link, h *linkTestHost) {
			c := p.accept()
			_ = c.conn.Close()
			linkWaitFor(t, "the retry wait", func() bool { return l.Status().State == LinkConnect })
		}, false},
	}
	for _, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			linkLeakCheck(t)
			p := newLinkFakePrimary(t)
			h := &linkTestHost{}
			l, _ := startTestLink(t, linkTestConfig(p), h, func(l *Link) {
				l.retryMin, l.retryMax = time.Hour, time.Hour
				l.ackEvery, l.keepaliveEvery = time.Millisecond, time.Millisecond
			})
			ph.reach(t, p, l, h)
			l.Stop()
			_, ups, downs := h.counts()
			if ph.up && (ups != 1 || downs != 1) || !ph.up && (ups != 0 || downs != 0) {
				t.Fatalf("ups=%d downs=%d", ups, downs)
			}
			if st := l.Status(); st.State != LinkNone || st.Up || st.SyncInProgress {
				t.Fatalf("status after Stop: %+v", st)
			}
			l.Stop() // again: nothing happens
			l.Start()
			if st := l.Status(); st.State != LinkNone {
				t.Fatalf("Start after Stop changed the state: %+v", st)
			}
		})
	}
}

// Stop interrupts a dial that does not complete, and works on a link never started.
func TestLinkStopWhileDialing(t *testing.T) {
	linkLeakCheck(t)
	l0 := NewLink(LinkConfig{}, &linkTestHost{}, linkNopLogger())
	l0.Stop()

	var dials atomic.Int32
	cfg := LinkConfig{Host: "127.0.0.1", Port: 1, Timeout: time.Hour, Dial: func(ctx context.Context, addr string) (net.Conn, error) {
		dials.Add(1)
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	h := &linkTestHost{}
	l, _ := startTestLink(t, cfg, h, nil)
	linkWaitFor(t, "the dial", func() bool { return dials.Load() == 1 && l.Status().State == LinkConnecting })
	l.Stop()
}

// A failing dial is retried with a growing delay, each attempt logged.
func TestLinkDialFailureRetries(t *testing.T) {
	linkLeakCheck(t)
	var dials atomic.Int32
	cfg := LinkConfig{Host: "127.0.0.1", Port: 1, Timeout: time.Second, Dial: func(ctx context.Context, addr string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("connection refused")
	}}
	l, logs := startTestLink(t, cfg, &linkTestHost{}, nil)
	linkWaitFor(t, "three dials", func() bool { return dials.Load() >= 3 })
	l.Stop()
	if got := logs.String(); !strings.Contains(got, "Connecting to PRIMARY 127.0.0.1:1") || !strings.Contains(got, "connection refused") {
		t.Fatalf("log:\n%s", got)
	}
}
