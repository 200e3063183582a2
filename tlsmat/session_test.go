package tlsmat

import (
	"crypto/tls"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock shared by the Manager and the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func resumed(t *testing.T, addr string, cfg *tls.Config) bool {
	t.Helper()
	c, err := dial(addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.ConnectionState().DidResume
}

func TestSessionCaching(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		name := map[uint16]string{tls.VersionTLS12: "TLS1.2", tls.VersionTLS13: "TLS1.3"}[version]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			m, _ := newTestManager(t)
			clock := &fakeClock{t: time.Now()}
			m.clock = clock.Now
			cfg := f.cfg
			cfg.SessionCacheTimeout = 60
			if err := m.Load(cfg); err != nil {
				t.Fatal(err)
			}
			srv := startServer(t, m.ServerConfig())
			client := f.clientConfig()
			client.MaxVersion = version
			client.ClientSessionCache = tls.NewLRUClientSessionCache(8)

			if resumed(t, srv.addr, client) {
				t.Fatal("first connection resumed")
			}
			if !resumed(t, srv.addr, client) {
				t.Fatal("second connection did not resume with tls-session-caching yes")
			}

			// tls-session-cache-timeout: a ticket older than 60 s is refused (full handshake).
			clock.Advance(61 * time.Second)
			if resumed(t, srv.addr, client) {
				t.Fatal("resumed a session older than tls-session-cache-timeout")
			}
			if !resumed(t, srv.addr, client) {
				t.Fatal("fresh ticket did not resume")
			}

			// A reload (same files) is new material: old tickets no longer resume.
			if err := m.Load(cfg); err != nil {
				t.Fatal(err)
			}
			if resumed(t, srv.addr, client) {
				t.Fatal("ticket from previous material resumed after reload")
			}

			// tls-session-caching no: never resumes.
			cfg.SessionCaching = false
			if err := m.Load(cfg); err != nil {
				t.Fatal(err)
			}
			resumed(t, srv.addr, client)
			if resumed(t, srv.addr, client) {
				t.Fatal("resumed with tls-session-caching no")
			}
		})
	}
}

// TestClientConfigResumption: outgoing links resume (the per-material client session cache), and the
// chain is still checked by VerifyConnection on resumption.
func TestClientConfigResumption(t *testing.T) {
	f := newFixture(t)
	m, _ := newTestManager(t)
	if err := m.Load(f.cfg); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, m.BusServerConfig())
	dialOut := func() bool {
		out, err := m.ClientConfig("localhost")
		if err != nil {
			t.Fatal(err)
		}
		return resumed(t, srv.addr, out)
	}
	if dialOut() {
		t.Fatal("first link resumed")
	}
	if !dialOut() {
		t.Fatal("second link did not resume")
	}
	if err := m.Load(f.cfg); err != nil {
		t.Fatal(err)
	}
	if dialOut() {
		t.Fatal("link resumed a session of the previous material")
	}
}
