package tlsmat

import (
	"path/filepath"
	"testing"
	"time"
)

func TestExpiryWarning(t *testing.T) {
	f := newFixture(t)
	o := serverOpts(0x5)
	o.notAfter = time.Now().Add(3 * 24 * time.Hour)
	c, k, _ := f.ca.issue(t, o)
	cfg := f.cfg
	cfg.CertFile = writeFile(t, filepath.Join(f.dir, "short.crt"), c)
	cfg.KeyFile = writeFile(t, filepath.Join(f.dir, "short.key"), k)

	const msg = "TLS certificate expires in less than 7 days"
	m, logs := newTestManager(t)
	// Off by default.
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	if logs.count(msg) != 0 {
		t.Fatalf("warning with expiry warnings off:\n%s", logs)
	}
	// Enabling checks the current material at once.
	m.SetExpiryWarningDays(7)
	if logs.count(msg) != 1 || logs.count(cfg.CertFile) == 0 || logs.count(`"role":"server"`) != 1 {
		t.Fatalf("no warning naming the server certificate:\n%s", logs)
	}
	// And every load checks again; the 1-year client and 5-year CA certificates do not warn.
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	if logs.count(msg) != 2 || logs.count(`"role":"client"`) != 0 || logs.count(`"role":"ca"`) != 0 {
		t.Fatalf("unexpected warnings:\n%s", logs)
	}
	// 2 days: nothing expires that soon.
	m.SetExpiryWarningDays(2)
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	if logs.count("TLS certificate expires") != 2 {
		t.Fatalf("warned with a 2-day threshold:\n%s", logs)
	}
	m.SetExpiryWarningDays(0)
}

// TestExpiryWarningDaily: the maintenance loop repeats the check every period (a day in production).
func TestExpiryWarningDaily(t *testing.T) {
	f := newFixture(t)
	o := serverOpts(0x6)
	o.notAfter = time.Now().Add(24 * time.Hour)
	c, k, _ := f.ca.issue(t, o)
	cfg := f.cfg
	cfg.CertFile = writeFile(t, filepath.Join(f.dir, "short.crt"), c)
	cfg.KeyFile = writeFile(t, filepath.Join(f.dir, "short.key"), k)
	m, logs := newTestManager(t)
	clock := &fakeClock{t: time.Now()}
	m.clock = clock.Now
	m.expiryEvery = 30 * time.Millisecond
	if err := m.Load(cfg); err != nil {
		t.Fatal(err)
	}
	m.SetExpiryWarningDays(7)
	logs.waitFor(t, "TLS certificate expires in less than 7 days", 3, 5*time.Second)

	// Once past notAfter the warning says so.
	clock.Advance(48 * time.Hour)
	logs.waitFor(t, "TLS certificate has expired", 1, 5*time.Second)
	m.SetExpiryWarningDays(0)
	m.mu.Lock()
	running := m.stop != nil
	m.mu.Unlock()
	if running {
		t.Fatal("loop still running with nothing to do")
	}
}
