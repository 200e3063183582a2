package tlsmat

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"time"
)

// fingerprint hashes everything a load reads: the contents of the certificate, key, CA and DH files and,
// for tls-ca-cert-dir, the name and contents of every regular file in it. Valkey fingerprints the CA dir
// by inode+mtime of the directory only and so misses a file edited in place; hashing contents does not.
// Key files are hashed by contents too (stronger than inode+mtime, and they are tiny). Unreadable files
// contribute their error, so a file that disappears or reappears is a change.
func fingerprint(cfg Config) [32]byte {
	h := sha256.New()
	hashFile(h, "cert", cfg.CertFile)
	hashFile(h, "key", cfg.KeyFile)
	hashFile(h, "client-cert", cfg.ClientCertFile)
	hashFile(h, "client-key", cfg.ClientKeyFile)
	hashFile(h, "ca-file", cfg.CAFile)
	hashFile(h, "dh", cfg.DHParamsFile)
	if cfg.CADir != "" {
		fmt.Fprintf(h, "ca-dir\x00%s\x00", cfg.CADir)
		entries, err := os.ReadDir(cfg.CADir)
		if err != nil {
			fmt.Fprintf(h, "error\x00%s\x00", osReason(err))
		}
		for _, e := range entries {
			path := filepath.Join(cfg.CADir, e.Name())
			st, err := os.Stat(path)
			switch {
			case err != nil:
				fmt.Fprintf(h, "entry\x00%s\x00error\x00%s\x00", e.Name(), osReason(err))
			case st.Mode().IsRegular():
				hashFile(h, "entry", path)
			}
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func hashFile(h hash.Hash, tag, path string) {
	fmt.Fprintf(h, "%s\x00%s\x00", tag, path)
	if path == "" {
		return
	}
	data, err := readFile(path)
	if err != nil {
		fmt.Fprintf(h, "error\x00%s\x00", err)
		return
	}
	sum := sha256.Sum256(data)
	h.Write(sum[:])
}

// SetAutoReload sets tls-auto-reload-interval: every interval, the files of the published material are
// fingerprinted and, when they changed, reloaded with the full validation of Load. 0 turns it off. Calling
// it again restarts the loop with the new interval. Log lines (spec §1.3): debug "TLS reload skipped:
// materials unchanged"; notice "TLS materials changed, reloading in background"; notice "TLS materials
// reloaded successfully"; warning "Background TLS reload failed: <reason>" (old material kept).
func (m *Manager) SetAutoReload(interval time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if interval < 0 {
		interval = 0
	}
	m.reloadEvery = interval
	m.restartLocked()
}

// SetExpiryWarningDays sets tls-expiry-warning-days: at every load and once a day, a warning is logged for
// each loaded certificate that expires within n days (or has expired). 0 turns it off.
func (m *Manager) SetExpiryWarningDays(n int) {
	if n < 0 {
		n = 0
	}
	m.expiryDays.Store(int64(n))
	m.mu.Lock()
	m.restartLocked()
	m.mu.Unlock()
	m.warnExpiring(m.cur.Load())
}

// Close stops the maintenance goroutine and waits for it. The published material stays usable, so that
// listeners can drain. Later SetAutoReload/SetExpiryWarningDays calls start nothing.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	m.restartLocked()
}

// restartLocked stops the maintenance goroutine, if any, and starts a new one when there is work.
func (m *Manager) restartLocked() {
	if m.stop != nil {
		close(m.stop)
		<-m.done
		m.stop, m.done = nil, nil
	}
	if m.closed {
		return
	}
	var expiryEvery time.Duration
	if m.expiryDays.Load() > 0 {
		expiryEvery = m.expiryEvery
	}
	if m.reloadEvery <= 0 && expiryEvery <= 0 {
		return
	}
	m.stop, m.done = make(chan struct{}), make(chan struct{})
	go m.maintain(m.stop, m.done, m.reloadEvery, expiryEvery)
}

// maintain is the single background goroutine: one ticker per duty and a stop channel (certmagic's
// maintenance loop). A nil channel never fires, so a disabled duty costs nothing.
func (m *Manager) maintain(stop <-chan struct{}, done chan<- struct{}, reloadEvery, expiryEvery time.Duration) {
	defer close(done)
	var reloadC, expiryC <-chan time.Time
	if reloadEvery > 0 {
		t := time.NewTicker(reloadEvery)
		defer t.Stop()
		reloadC = t.C
	}
	if expiryEvery > 0 {
		t := time.NewTicker(expiryEvery)
		defer t.Stop()
		expiryC = t.C
	}
	for {
		select {
		case <-stop:
			return
		case <-reloadC:
			m.reloadIfChanged()
		case <-expiryC:
			m.warnExpiring(m.cur.Load())
		}
	}
}

// reloadIfChanged is one auto-reload tick.
func (m *Manager) reloadIfChanged() {
	m.loadMu.Lock()
	if m.lastCfg == nil {
		m.loadMu.Unlock()
		return
	}
	cfg := *m.lastCfg
	fp := fingerprint(cfg)
	// A failed attempt is not retried (nor re-logged) until the files change again.
	if fp == m.baseline || (m.failed && fp == m.failedFP) {
		m.loadMu.Unlock()
		m.log.Debug().Msg("TLS reload skipped: materials unchanged")
		return
	}
	m.log.Info().Msg("TLS materials changed, reloading in background")
	mat, b, err := build(cfg, m.clock)
	m.logWarnings(b.warnings)
	if err != nil {
		m.failedFP, m.failed = fp, true
	} else {
		m.publishLocked(mat, fp)
	}
	m.loadMu.Unlock()

	if err != nil {
		ev := m.log.Warn()
		if e, ok := err.(*Error); ok && e.Directive != "" {
			ev = ev.Str("directive", e.Directive)
		}
		ev.Msg("Background TLS reload failed: " + err.Error())
	} else {
		m.log.Info().Msg("TLS materials reloaded successfully")
	}
	if fn := m.onReload.Load(); fn != nil {
		(*fn)(err)
	}
}

// warnExpiring logs a warning for each certificate of mat that expires within tls-expiry-warning-days.
func (m *Manager) warnExpiring(mat *material) {
	days := m.expiryDays.Load()
	if days <= 0 || mat == nil {
		return
	}
	now := m.clock()
	limit := time.Duration(days) * 24 * time.Hour
	for _, rc := range mat.allCerts() {
		left := rc.cert.NotAfter.Sub(now)
		if left > limit {
			continue
		}
		ev := m.log.Warn().Str("role", rc.role).Str("file", rc.path).
			Str("subject", rc.cert.Subject.String()).Str("serial", serialHex(rc.cert.SerialNumber)).
			Time("not_after", rc.cert.NotAfter.UTC()).Int64("expires_in_seconds", int64(left/time.Second))
		if left <= 0 {
			ev.Msg("TLS certificate has expired")
		} else {
			ev.Msg(fmt.Sprintf("TLS certificate expires in less than %d days", days))
		}
	}
}
