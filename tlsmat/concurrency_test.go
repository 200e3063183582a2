package tlsmat

import (
	"context"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse hammers every entry point at once (run with -race): explicit loads alternating two
// materials, background reloads, handshakes on both listeners, outgoing configs, policy changes, INFO.
// Every handshake must succeed with one of the two certificates: a reload never exposes a half-built state.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	m, _ := newTestManager(t)
	cfgB, certB := f.withNewServerPair(t, 0xBB)
	if err := m.Load(f.cfg); err != nil {
		t.Fatal(err)
	}
	srv := startServer(t, m.ServerConfig())
	bus := startServer(t, m.BusServerConfig())
	m.SetAutoReload(5 * time.Millisecond)
	m.SetExpiryWarningDays(7)

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	loop := func(fn func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	loop(func(i int) error {
		if i%2 == 0 {
			return m.Load(cfgB)
		}
		return m.Load(f.cfg)
	})
	loop(func(i int) error {
		policy := []string{"yes", "optional"}[i%2] // both accept our client certificate
		return m.SetAuthClients(policy)
	})
	loop(func(int) error { _ = m.Info(); _ = m.Configured(); return nil })
	for range 3 {
		loop(func(int) error {
			c, err := dial(srv.addr, f.clientConfig())
			if err != nil {
				return err
			}
			defer c.Close()
			s := c.ConnectionState().PeerCertificates[0].SerialNumber
			if s.Cmp(f.serverCert.SerialNumber) != 0 && s.Cmp(certB.SerialNumber) != 0 {
				t.Errorf("unexpected serial %X", s)
			}
			return nil
		})
	}
	loop(func(int) error {
		out, err := m.ClientConfig("127.0.0.1")
		if err != nil {
			return err
		}
		c, err := dial(bus.addr, out)
		if err != nil {
			return err
		}
		return c.Close()
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
