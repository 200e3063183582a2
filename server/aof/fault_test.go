package aof

import (
	"errors"
	"fmt"
	"path/filepath"
	"syscall"
	"testing"
)

// A disk-full write keeps the bytes queued, surfaces the error through Wait, LastWriteError and the
// aof_last_write_status figure, and once space is back the writer catches up: the file holds every byte
// once, in order.
func TestWriteErrorKeepsBytesAndRecovers(t *testing.T) {
	for _, tc := range []struct {
		name               string
		partial, truncFail bool
	}{
		{"nothing written", false, false},
		{"partial write undone", true, false},
		{"partial write kept", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fs := &faultFS{}
			cfg := testConfig(t, dir)
			cfg.OpenFile = fs.open
			m := mustOpen(t, cfg)
			if err := m.Start(nil); err != nil {
				t.Fatal(err)
			}
			var want []string
			appendCmd := func(i int) uint64 {
				k := fmt.Sprintf("k%d", i)
				want = append(want, "SET "+k+" v")
				return m.Append(enc("SET", k, "v"))
			}
			if err := m.Wait(appendCmd(0)); err != nil {
				t.Fatal(err)
			}
			fs.set(func(fs *faultFS) { fs.full, fs.partial, fs.truncFail = true, tc.partial, tc.truncFail })
			seq := appendCmd(1)
			err := m.Wait(seq)
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("Wait during disk full: %v", err)
			}
			if !errors.Is(m.LastWriteError(), syscall.ENOSPC) {
				t.Fatalf("LastWriteError %v", m.LastWriteError())
			}
			if s := m.Stats(); s.LastWriteOK || s.BufferLength == 0 {
				t.Fatalf("stats during disk full %+v", s)
			}
			for i := 2; i < 10; i++ {
				seq = appendCmd(i)
			}
			fs.set(func(fs *faultFS) { fs.full = false })
			waitUntil(t, "the writer to recover", func() bool { return m.Wait(seq) == nil })
			if m.LastWriteError() != nil || !m.Stats().LastWriteOK || m.Stats().BufferLength != 0 {
				t.Fatalf("still in error after recovery: %v %+v", m.LastWriteError(), m.Stats())
			}
			if err := m.Close(); err != nil {
				t.Fatal(err)
			}
			data := readFile(t, filepath.Join(m.Dir(), "appendonly.aof.1.incr.aof"))
			if tc.partial && tc.truncFail {
				// the half written while the disk was full stays, and the rest follows it exactly
				if got := scanCommands(t, data); !equalStrings(got, want) {
					t.Fatalf("file commands %q, want %q", got, want)
				}
				return
			}
			if string(data) != string(encAllSET(10)) {
				t.Fatalf("file content %q", data)
			}
		})
	}
}

func encAllSET(n int) []byte {
	var b []byte
	for i := range n {
		b = append(b, enc("SET", fmt.Sprintf("k%d", i), "v")...)
	}
	return b
}

// With always, an fsync failure is an error for Wait until an fsync succeeds.
func TestFsyncErrorAlways(t *testing.T) {
	dir := t.TempDir()
	fs := &faultFS{syncFail: true}
	cfg := testConfig(t, dir)
	cfg.Fsync = FsyncAlways
	cfg.OpenFile = fs.open
	m := mustOpen(t, cfg)
	defer m.Close()
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	seq := m.Append(enc("SET", "a", "1"))
	if err := m.Wait(seq); !errors.Is(err, syscall.EIO) {
		t.Fatalf("Wait with failing fsync: %v", err)
	}
	if m.Stats().LastWriteOK {
		t.Fatal("aof_last_write_status ok with a failing fsync")
	}
	fs.set(func(fs *faultFS) { fs.syncFail = false })
	waitUntil(t, "fsync to recover", func() bool { return m.Wait(seq) == nil })
	if m.LastWriteError() != nil {
		t.Fatal(m.LastWriteError())
	}
}

// A write error on the old incr file while a rewrite switched to a new one: bytes for the old file are
// written first once the disk recovers, never reordered into the new file.
func TestWriteErrorAcrossRewriteSwitch(t *testing.T) {
	dir := t.TempDir()
	fs := &faultFS{}
	cfg := testConfig(t, dir)
	cfg.OpenFile = fs.open
	m := mustOpen(t, cfg)
	if err := m.Start(nil); err != nil {
		t.Fatal(err)
	}
	fs.set(func(fs *faultFS) { fs.full = true })
	old := enc("SET", "old", "1")
	if err := m.Wait(m.Append(old)); err == nil {
		t.Fatal("no error while full")
	}
	release := make(chan struct{})
	if err := m.StartRewrite(writeSnapshot(release)); err != nil {
		t.Fatal(err)
	}
	next := enc("SET", "new", "2")
	seq := m.Append(next)
	fs.set(func(fs *faultFS) { fs.full = false })
	waitUntil(t, "recovery", func() bool { return m.Wait(seq) == nil })
	if got := readFile(t, filepath.Join(m.Dir(), "appendonly.aof.1.incr.aof")); string(got) != string(old) {
		t.Fatalf("old incr %q", got)
	}
	if got := readFile(t, filepath.Join(m.Dir(), "appendonly.aof.2.incr.aof")); string(got) != string(next) {
		t.Fatalf("new incr %q", got)
	}
	close(release)
	if err := m.WaitRewrite(); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
}
