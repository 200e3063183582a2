package aof

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendsSurviveCloseAndReload(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	m := mustOpen(t, cfg)
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	var want []string
	var seq uint64
	for i := range 100 {
		k := fmt.Sprintf("k%d", i)
		seq = m.Append(enc("SET", k, "v"))
		want = append(want, "SET "+k+" v")
	}
	if err := m.Close(); err != nil { // Close flushes without a Wait
		t.Fatal(err)
	}
	if err := m.Wait(seq); err != nil {
		t.Fatalf("Wait after Close for flushed bytes: %v", err)
	}
	if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.manifest"))); got != "file appendonly.aof.1.incr.aof seq 1 type i\n" {
		t.Fatalf("manifest %q", got)
	}
	if l := reload(t, cfg); !equalStrings(l.cmds, want) {
		t.Fatalf("reloaded %d commands, want %d", len(l.cmds), len(want))
	}
	// a second session appends to the same incr file
	m = mustOpen(t, cfg)
	if err := m.Load(&recLoader{}); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(m.Append(enc("DEL", "k0"))); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	want = append(want, "DEL k0")
	if l := reload(t, cfg); !equalStrings(l.cmds, want) {
		t.Fatalf("second session: %d commands, last %q", len(l.cmds), l.cmds[len(l.cmds)-1])
	}
}

// Many clients append and wait at once (group commit): every command is in the file, and each client's
// commands keep their order.
func TestConcurrentAppendOrder(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(t, dir)
	m := mustOpen(t, cfg)
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	const clients, per = 8, 200
	var lock sync.Mutex // the server lock: Append order is the execution order
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				lock.Lock()
				seq := m.Append(enc("RPUSH", fmt.Sprintf("c%d", c), fmt.Sprint(i)))
				lock.Unlock()
				if err := m.Wait(seq); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	l := reload(t, cfg)
	if len(l.cmds) != clients*per {
		t.Fatalf("%d commands, want %d", len(l.cmds), clients*per)
	}
	next := map[string]int{}
	for _, c := range l.cmds {
		f := strings.Fields(c)
		if f[2] != fmt.Sprint(next[f[1]]) {
			t.Fatalf("client %s: got %s, want %d", f[1], f[2], next[f[1]])
		}
		next[f[1]]++
	}
}

// always: when Wait returns the bytes are fsynced.
func TestWaitAlwaysMeansSynced(t *testing.T) {
	dir := t.TempDir()
	fs := &faultFS{}
	cfg := testConfig(t, dir)
	cfg.Fsync = FsyncAlways
	cfg.OpenFile = fs.open
	m := mustOpen(t, cfg)
	defer m.Close()
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	total := 0
	for i := range 20 {
		p := enc("SET", "k", fmt.Sprint(i))
		total += len(p)
		if err := m.Wait(m.Append(p)); err != nil {
			t.Fatal(err)
		}
		if got := fs.syncedOf("appendonly.aof.1.incr.aof"); got != int64(total) {
			t.Fatalf("after Wait %d bytes synced, want %d", got, total)
		}
	}
}

// everysec and no: Wait returns once the bytes are written, without waiting for an fsync (Sync is blocked
// here); everysec then fsyncs in the background, no never does before Close.
func TestWaitWithoutFsync(t *testing.T) {
	for _, policy := range []Fsync{FsyncEverysec, FsyncNo} {
		t.Run(policy.String(), func(t *testing.T) {
			dir := t.TempDir()
			gate := make(chan struct{})
			fs := &faultFS{syncGate: gate}
			cfg := testConfig(t, dir)
			cfg.Fsync = policy
			cfg.OpenFile = fs.open
			m := mustOpen(t, cfg)
			m.postpone = 50 * time.Millisecond
			if err := m.Start(nil); err != nil {
				t.Fatal(err)
			}
			p := enc("SET", "k", "v")
			if err := m.Wait(m.Append(p)); err != nil {
				t.Fatal(err)
			}
			if got := string(readFile(t, filepath.Join(m.Dir(), "appendonly.aof.1.incr.aof"))); got != string(p) {
				t.Fatalf("file %q after Wait", got)
			}
			if policy == FsyncEverysec {
				waitUntil(t, "a background fsync to start", func() bool { return m.Stats().PendingBioFsync == 1 })
			} else if s := m.Stats(); s.PendingBioFsync != 0 {
				t.Fatalf("appendfsync no queued an fsync: %+v", s)
			}
			// with everysec a second write waits for the running fsync, then gives up waiting and counts a
			// delayed fsync (Valkey's aof_delayed_fsync)
			if err := m.Wait(m.Append(p)); err != nil {
				t.Fatal(err)
			}
			if want := map[Fsync]int64{FsyncEverysec: 1, FsyncNo: 0}[policy]; m.Stats().DelayedFsync != want {
				t.Fatalf("aof_delayed_fsync %d, want %d", m.Stats().DelayedFsync, want)
			}
			close(gate)
			if policy == FsyncEverysec {
				waitUntil(t, "the background fsync", func() bool { return fs.syncedOf("appendonly.aof.1.incr.aof") > 0 })
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			if got := fs.syncedOf("appendonly.aof.1.incr.aof"); got != int64(2*len(p)) {
				t.Fatalf("Close left %d bytes synced, want %d", got, 2*len(p))
			}
		})
	}
}

// Switching to always at runtime fsyncs what everysec left unsynced, and Wait then means synced.
func TestSetFsyncAtRuntime(t *testing.T) {
	dir := t.TempDir()
	fs := &faultFS{}
	cfg := testConfig(t, dir)
	cfg.Fsync = FsyncNo
	cfg.OpenFile = fs.open
	m := mustOpen(t, cfg)
	defer m.Close()
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	p := enc("SET", "k", "v")
	if err := m.Wait(m.Append(p)); err != nil {
		t.Fatal(err)
	}
	m.SetFsync(FsyncAlways)
	if m.FsyncPolicy() != FsyncAlways {
		t.Fatal("policy not changed")
	}
	waitUntil(t, "the pending bytes to be synced", func() bool { return fs.syncedOf("appendonly.aof.1.incr.aof") == int64(len(p)) })
	if err := m.Wait(m.Append(p)); err != nil {
		t.Fatal(err)
	}
	if got := fs.syncedOf("appendonly.aof.1.incr.aof"); got != int64(2*len(p)) {
		t.Fatalf("synced %d after Wait with always", got)
	}
}

func TestWaitStates(t *testing.T) {
	m := mustOpen(t, testConfig(t, t.TempDir()))
	seq := m.Append(enc("PING"))
	if err := m.Wait(seq); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("Wait before Start: %v", err)
	}
	if err := m.StartRewrite(func(w io.Writer) error { return nil }); !errors.Is(err, ErrNotStarted) {
		t.Fatalf("StartRewrite before Start: %v", err)
	}
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Wait(seq); err != nil { // bytes appended before Start are written too
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.Start(nil); err == nil {
		t.Fatal("Start after Close accepted")
	}
	if err := m.StartRewrite(func(w io.Writer) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("StartRewrite after Close: %v", err)
	}
	if err := m.Wait(m.Append(enc("PING"))); !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait after Close: %v", err)
	}
}

func TestParseFsync(t *testing.T) {
	for _, f := range []Fsync{FsyncAlways, FsyncEverysec, FsyncNo} {
		got, err := ParseFsync(strings.ToUpper(f.String()))
		if err != nil || got != f {
			t.Fatalf("%v: %v %v", f, got, err)
		}
	}
	if _, err := ParseFsync("sometimes"); err == nil {
		t.Fatal("bad value accepted")
	}
}
