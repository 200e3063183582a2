package aof

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Loader receives the content of the files while Load replays them.
type Loader interface {
	// LoadRDB reads an RDB snapshot: a base file, or the preamble of a pre-7.0 AOF, whose first bytes are
	// "REDIS". r is a *bufio.Reader; the loader must stop right after the RDB's EOF opcode and checksum
	// and must not buffer ahead on its own (use r as an io.ByteReader), because a preamble may be followed
	// by RESP commands in the same file.
	LoadRDB(r io.Reader, name string) error
	// Exec applies one command. argv and its elements are only valid until Exec returns. A transaction
	// arrives whole (MULTI, its commands, EXEC) once its EXEC has been read; an unfinished one at the end
	// of the last file is never delivered.
	Exec(argv [][]byte) error
}

// ReadAheadLoader is implemented by a Loader whose RDB decoder buffers input of its own (server/rdb's
// Decoder does). LoadRDBReadAhead is used instead of LoadRDB: it may read past the end of the RDB and
// returns those bytes (which must stay valid after it returns), which Load then parses as the RESP tail of
// a pre-7.0 preamble file.
type ReadAheadLoader interface {
	LoadRDBReadAhead(r io.Reader, name string) (rest []byte, err error)
}

// LoadError is a failed load: the file (a name in the append-only directory), the byte offset of the
// problem, and why.
type LoadError struct {
	File   string
	Offset int64
	// Truncated is set when the file ends inside a command (or an unfinished MULTI) and
	// aof-load-truncated did not allow dropping it.
	Truncated bool
	Err       error
}

func (e *LoadError) Error() string {
	if e.Truncated {
		return fmt.Sprintf("aof: unexpected end of file reading the append only file %s at offset %d "+
			"(the last command is incomplete): make a backup of the AOF, then use valkey-check-aof --fix "+
			"<manifest>, or set aof-load-truncated yes", e.File, e.Offset)
	}
	return fmt.Sprintf("aof: reading the append only file %s at offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }

// HasData reports whether there is something for Load: a manifest listing a base or incr file, or a
// pre-7.0 single-file AOF in Dir that Load would move into the directory.
func (m *Manager) HasData() bool {
	m.mmu.Lock()
	defer m.mmu.Unlock()
	return !m.man.Empty() || m.needsUpgrade()
}

// needsUpgrade applies Valkey's three cases for adopting <dir>/<appendfilename>: no directory, a directory
// without a manifest, or a manifest that lists only that file as its base while the file has not been
// moved in yet (a crash between writing the manifest and the rename).
func (m *Manager) needsUpgrade() bool {
	if !fileExists(filepath.Join(m.cfg.Dir, m.cfg.FileName)) {
		return false
	}
	if !m.hadManifest || m.man.Empty() {
		return true
	}
	return m.man.Base != nil && len(m.man.Incr) == 0 && m.man.Base.Name == m.cfg.FileName &&
		!fileExists(filepath.Join(m.dir, m.cfg.FileName))
}

// upgrade adopts an old single-file AOF as Valkey does: write a manifest naming it as base seq 1 first,
// then move it into the directory. A crash between the two leaves a state that needsUpgrade recognises,
// so the next start finishes the job. Called with mmu held.
func (m *Manager) upgrade() error {
	man := &Manifest{Base: &Entry{Name: m.cfg.FileName, Seq: 1, Type: TypeBase}}
	if err := writeManifest(m.dir, m.cfg.FileName, man); err != nil {
		return err
	}
	old := filepath.Join(m.cfg.Dir, m.cfg.FileName)
	if err := os.Rename(old, filepath.Join(m.dir, m.cfg.FileName)); err != nil {
		return fmt.Errorf("aof: error trying to move the old AOF file %s into dir %s: %w", old, m.dir, err)
	}
	if err := syncDir(m.cfg.Dir); err != nil {
		return err
	}
	m.man, m.hadManifest = man, true
	m.cfg.Log.Info().Str("file", m.cfg.FileName).Str("dir", m.cfg.DirName).
		Msg("Successfully migrated an old-style AOF file into the AOF directory")
	return nil
}

// Load replays the base file then the incr files in manifest order (upgrading an old single-file AOF first).
// Only the last file may end inside a command: with LoadTruncated the incomplete tail is logged, dropped,
// and cut off the file so later appends continue cleanly; otherwise, and for a malformed command anywhere,
// the result is a *LoadError naming the file and offset.
func (m *Manager) Load(l Loader) error {
	m.mmu.Lock()
	defer m.mmu.Unlock()
	if m.started {
		return errors.New("aof: Load after Start")
	}
	if m.needsUpgrade() {
		if err := m.upgrade(); err != nil {
			return err
		}
	}
	files := m.man.Incr
	if m.man.Base != nil {
		files = append([]Entry{*m.man.Base}, files...)
	}
	// every listed file must be there before anything is applied (Valkey checks sizes first)
	for _, e := range files {
		if _, err := os.Stat(filepath.Join(m.dir, e.Name)); err != nil {
			return fmt.Errorf("aof: file %s listed in the manifest: %w", e.Name, err)
		}
	}
	var total int64
	for i, e := range files {
		size, err := m.loadFile(l, e.Name, i == len(files)-1)
		if err != nil {
			return err
		}
		if i == 0 && m.man.Base != nil {
			m.stats.baseSize.Store(size)
		}
		total += size
	}
	m.stats.curSize.Store(total)
	m.loaded = true
	return nil
}

// countReader counts the bytes handed to the bufio.Reader above it, so offsets stay exact after an RDB
// loader consumed part of the buffer.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// loadFile replays one file and returns its size after a possible truncation.
func (m *Manager) loadFile(l Loader, name string, last bool) (int64, error) {
	path := filepath.Join(m.dir, name)
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("aof: can't open the append log file %s for reading: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("aof: stat %s: %w", name, err)
	}
	if st.Size() == 0 {
		return 0, nil
	}
	cr := &countReader{r: f}
	br := bufio.NewReaderSize(cr, maxLine)
	if sig, _ := br.Peek(5); bytes.Equal(sig, []byte("REDIS")) {
		if name == m.cfg.FileName {
			m.cfg.Log.Info().Str("file", name).Msg("Reading RDB preamble from AOF file...")
		} else {
			m.cfg.Log.Info().Str("file", name).Msg("Reading RDB base file on AOF loading...")
		}
		var rest []byte
		if ra, ok := l.(ReadAheadLoader); ok {
			rest, err = ra.LoadRDBReadAhead(br, name)
		} else {
			err = l.LoadRDB(br, name)
		}
		if err != nil {
			return 0, &LoadError{File: name, Offset: cr.n - int64(br.Buffered()), Err: fmt.Errorf("loading RDB: %w", err)}
		}
		if len(rest) > 0 {
			off := cr.n - int64(br.Buffered()) - int64(len(rest))
			tail := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(rest), br), maxLine)
			return m.replay(l, name, path, st.Size(), last, newCmdReader(tail, off))
		}
	}
	return m.replay(l, name, path, st.Size(), last, newCmdReader(br, cr.n-int64(br.Buffered())))
}

// replay applies the RESP commands of a file from r's position, handling transactions and a short tail.
func (m *Manager) replay(l Loader, name, path string, size int64, last bool, r *cmdReader) (int64, error) {
	var multi [][][]byte
	var multiStart int64 = -1
	for {
		start := r.off
		argv, annotation, err := r.next()
		switch {
		case err == io.EOF:
			if multiStart < 0 {
				return size, nil
			}
			// a MULTI without EXEC at the end is handled as a short read, as Valkey does
			m.cfg.Log.Warn().Str("file", name).Msg("Revert incomplete MULTI/EXEC transaction in AOF file")
			return m.truncateTail(name, path, multiStart, size, last)
		case errors.Is(err, errTruncated):
			cut := start
			if multiStart >= 0 {
				cut = multiStart
			}
			if annotation && multiStart < 0 && !last {
				return size, nil // nothing will be appended here; the partial comment is harmless
			}
			if annotation && multiStart < 0 {
				// only a comment is cut: no data is lost, so drop it whatever aof-load-truncated says
				return m.cut(name, path, cut, size)
			}
			return m.truncateTail(name, path, cut, size, last)
		case err != nil:
			return 0, &LoadError{File: name, Offset: start, Err: err}
		}
		if multiStart >= 0 {
			multi = append(multi, cloneArgv(argv))
			if isCmd(argv, "exec") {
				for _, c := range multi {
					if err := l.Exec(c); err != nil {
						return 0, &LoadError{File: name, Offset: multiStart, Err: err}
					}
				}
				multi, multiStart = multi[:0], -1
			}
			continue
		}
		if isCmd(argv, "multi") {
			multiStart = start
			multi = append(multi[:0], cloneArgv(argv))
			continue
		}
		if err := l.Exec(argv); err != nil {
			return 0, &LoadError{File: name, Offset: start, Err: err}
		}
	}
}

// truncateTail handles an incomplete end of file: the valid prefix ends at cut.
func (m *Manager) truncateTail(name, path string, cut, size int64, last bool) (int64, error) {
	if !m.cfg.LoadTruncated {
		return 0, &LoadError{File: name, Offset: cut, Truncated: true, Err: errTruncated}
	}
	if !last {
		return 0, &LoadError{File: name, Offset: cut,
			Err: errors.New("the truncated file is not the last file (aof-load-truncated only forgives the last one)")}
	}
	m.cfg.Log.Warn().Str("file", name).Int64("offset", cut).Int64("dropped_bytes", size-cut).
		Msg("!!! Warning: short read while loading the AOF file, truncating it at the last complete command !!!")
	size, err := m.cut(name, path, cut, size)
	if err != nil {
		return 0, err
	}
	m.cfg.Log.Warn().Str("file", name).Msg("AOF loaded anyway because aof-load-truncated is enabled")
	return size, nil
}

func (m *Manager) cut(name, path string, at, size int64) (int64, error) {
	if at == size {
		return size, nil
	}
	if err := os.Truncate(path, at); err != nil {
		return 0, &LoadError{File: name, Offset: at, Err: fmt.Errorf("truncating: %w", err)}
	}
	return at, nil
}

func isCmd(argv [][]byte, name string) bool {
	return len(argv) > 0 && strings.EqualFold(string(argv[0]), name)
}

func cloneArgv(argv [][]byte) [][]byte {
	n := 0
	for _, a := range argv {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(argv))
	for i, a := range argv {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
