package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// enc encodes one command as RESP multibulk, the way the server appends it.
func enc(args ...string) []byte {
	var b []byte
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

func encAll(cmds ...[]string) []byte {
	var b []byte
	for _, c := range cmds {
		b = append(b, enc(c...)...)
	}
	return b
}

// recLoader records what Load hands it: commands as space-joined strings, RDB payloads by file name.
type recLoader struct {
	cmds    []string
	rdb     map[string][]byte
	failOn  string // Exec returns an error for this command
	rdbFail bool
}

func (l *recLoader) Exec(argv [][]byte) error {
	parts := make([]string, len(argv))
	for i, a := range argv {
		parts[i] = string(a)
	}
	c := strings.Join(parts, " ")
	if l.failOn != "" && c == l.failOn {
		return errors.New("ERR unknown command")
	}
	l.cmds = append(l.cmds, c)
	return nil
}

// LoadRDB reads a fake RDB: "REDIS" + version digits, payload, 0xFF, 8 checksum bytes, byte by byte like a
// real loader that does not read ahead.
func (l *recLoader) LoadRDB(r io.Reader, name string) error {
	if l.rdbFail {
		return errors.New("bad RDB")
	}
	br, ok := r.(io.ByteReader)
	if !ok {
		return errors.New("reader is not an io.ByteReader")
	}
	var got []byte
	for {
		c, err := br.ReadByte()
		if err != nil {
			return fmt.Errorf("rdb: %w", err)
		}
		got = append(got, c)
		if c == 0xFF {
			break
		}
	}
	for range 8 {
		c, err := br.ReadByte()
		if err != nil {
			return fmt.Errorf("rdb checksum: %w", err)
		}
		got = append(got, c)
	}
	if l.rdb == nil {
		l.rdb = map[string][]byte{}
	}
	l.rdb[name] = got
	return nil
}

// fakeRDB is what recLoader.LoadRDB accepts.
func fakeRDB(payload string) []byte {
	return append([]byte("REDIS0011"+payload+"\xff"), "12345678"...)
}

func testConfig(t *testing.T, dir string) Config {
	return Config{
		Dir:            dir,
		Fsync:          FsyncEverysec,
		UseRDBPreamble: true, // Valkey's defaults
		LoadTruncated:  true,
		Log:            zerolog.New(zerolog.NewTestWriter(t)),
		RetryInterval:  time.Millisecond,
		FsyncInterval:  5 * time.Millisecond,
	}
}

func mustOpen(t *testing.T, cfg Config) *Manager {
	t.Helper()
	m, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// reload opens dir again and returns every command it replays.
func reload(t *testing.T, cfg Config) *recLoader {
	t.Helper()
	m := mustOpen(t, cfg)
	defer m.Close()
	l := &recLoader{}
	if err := m.Load(l); err != nil {
		t.Fatalf("reload: %v", err)
	}
	return l
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// setupDir writes a manifest and the named files into <dir>/appendonlydir.
func setupDir(t *testing.T, dir string, man string, files map[string][]byte) string {
	t.Helper()
	ad := filepath.Join(dir, defaultDirName)
	if err := os.MkdirAll(ad, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(ad, manifestName(defaultFileName)), []byte(man))
	for n, d := range files {
		writeFile(t, filepath.Join(ad, n), d)
	}
	return ad
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// waitUntil polls cond; the deadline only stops a hung test, it asserts nothing about speed.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// faultFS wraps os files so tests can make writes fail with ENOSPC (whole or after a partial write), make
// Truncate or Sync fail, block Sync, and observe what was synced.
type faultFS struct {
	mu        sync.Mutex
	full      bool // writes fail with ENOSPC
	partial   bool // a failing write first writes half of its bytes
	truncFail bool
	syncFail  bool
	syncGate  chan struct{} // when set, Sync waits for it to be closed
	writes    int
	syncs     int
	files     map[string]*faultFile
}

type faultFile struct {
	fs     *faultFS
	f      *os.File
	name   string
	size   int64
	synced int64 // size at the last successful Sync
}

func (fs *faultFS) open(name string, flag int, perm os.FileMode) (File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	st, _ := f.Stat()
	ff := &faultFile{fs: fs, f: f, name: filepath.Base(name), size: st.Size()}
	fs.mu.Lock()
	if fs.files == nil {
		fs.files = map[string]*faultFile{}
	}
	fs.files[ff.name] = ff
	fs.mu.Unlock()
	return ff, nil
}

func (fs *faultFS) set(fn func(fs *faultFS)) {
	fs.mu.Lock()
	fn(fs)
	fs.mu.Unlock()
}

func (fs *faultFS) syncedOf(name string) int64 {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f := fs.files[name]; f != nil {
		return f.synced
	}
	return -1
}

func (ff *faultFile) Write(p []byte) (int, error) {
	ff.fs.mu.Lock()
	defer ff.fs.mu.Unlock()
	ff.fs.writes++
	if ff.fs.full {
		n := 0
		if ff.fs.partial && len(p) > 1 {
			n, _ = ff.f.Write(p[:len(p)/2])
			ff.size += int64(n)
		}
		return n, &os.PathError{Op: "write", Path: ff.name, Err: syscall.ENOSPC}
	}
	n, err := ff.f.Write(p)
	ff.size += int64(n)
	return n, err
}

func (ff *faultFile) Sync() error {
	ff.fs.mu.Lock()
	gate := ff.fs.syncGate
	ff.fs.mu.Unlock()
	if gate != nil {
		<-gate
	}
	ff.fs.mu.Lock()
	defer ff.fs.mu.Unlock()
	ff.fs.syncs++
	if ff.fs.syncFail {
		return &os.PathError{Op: "sync", Path: ff.name, Err: syscall.EIO}
	}
	if err := ff.f.Sync(); err != nil {
		return err
	}
	ff.synced = ff.size
	return nil
}

func (ff *faultFile) Truncate(size int64) error {
	ff.fs.mu.Lock()
	defer ff.fs.mu.Unlock()
	if ff.fs.truncFail {
		return &os.PathError{Op: "truncate", Path: ff.name, Err: syscall.EIO}
	}
	if err := ff.f.Truncate(size); err != nil {
		return err
	}
	ff.size = size
	return nil
}

func (ff *faultFile) Close() error { return ff.f.Close() }

// scanCommands parses a RESP stream back into commands (for checking file contents).
func scanCommands(t *testing.T, data []byte) []string {
	t.Helper()
	r := newCmdReader(bufio.NewReader(bytes.NewReader(data)), 0)
	var out []string
	for {
		argv, _, err := r.next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("scan: %v at %d", err, r.off)
		}
		parts := make([]string, len(argv))
		for i, a := range argv {
			parts[i] = string(a)
		}
		out = append(out, strings.Join(parts, " "))
	}
}
