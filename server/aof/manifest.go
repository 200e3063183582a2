package aof

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/valkey-node/valkey-node/server/textargs"
)

// FileType is the type letter of a manifest line.
type FileType byte

const (
	TypeBase    FileType = 'b' // the snapshot written by the last successful rewrite
	TypeHistory FileType = 'h' // a base or incr file superseded by a rewrite, about to be deleted
	TypeIncr    FileType = 'i' // commands appended since a rewrite started
)

// Entry is one line of the manifest.
type Entry struct {
	Name string
	Seq  int64
	Type FileType
}

// Manifest lists the files of an append-only directory in Valkey's order: the base (if any), history files,
// then incr files in increasing sequence.
type Manifest struct {
	Base    *Entry
	History []Entry
	Incr    []Entry
}

// maxManifestLine is Valkey's limit on a manifest line, newline included.
const maxManifestLine = 1024

// ParseManifest reads a manifest with Valkey's rules: '#' lines are comments, every line ends with a
// newline and holds key/value pairs split like a config line (names may be quoted), "file", "seq" and "type"
// are required, unknown keys are ignored (Valkey reserves them for later versions), at most one base, and
// incr sequence numbers strictly increase.
func ParseManifest(data []byte) (*Manifest, error) {
	m := &Manifest{}
	if len(data) == 0 {
		return nil, errors.New("aof: found an empty AOF manifest")
	}
	var maxIncr int64
	lineno := 0
	for len(data) > 0 {
		lineno++
		nl := bytes.IndexByte(data, '\n')
		var raw []byte
		if nl < 0 || nl+1 > maxManifestLine {
			if data[0] == '#' && nl >= 0 {
				// Valkey reads a long comment in 1024-byte pieces and skips each; the result is the same
				data = data[nl+1:]
				continue
			}
			return nil, manifestErr(lineno, data, "the AOF manifest file contains too long line (or no final newline)")
		}
		raw, data = data[:nl], data[nl+1:]
		if len(raw) > 0 && raw[0] == '#' {
			continue
		}
		line := bytes.Trim(raw, " \t\r\n")
		if len(line) == 0 {
			return nil, manifestErr(lineno, raw, "invalid AOF manifest file format")
		}
		args, err := textargs.Split(line)
		// fewer than six words or an odd count is malformed; more pairs are allowed for forward compatibility
		if err != nil || len(args) < 6 || len(args)%2 != 0 {
			return nil, manifestErr(lineno, raw, "invalid AOF manifest file format")
		}
		var e Entry
		for i := 0; i < len(args); i += 2 {
			key, val := string(args[i]), string(args[i+1])
			switch strings.ToLower(key) {
			case "file":
				if strings.ContainsRune(val, '/') {
					return nil, manifestErr(lineno, raw, "file can't be a path, just a filename")
				}
				e.Name = val
			case "seq":
				e.Seq = atoll(val)
			case "type":
				if val != "" {
					e.Type = FileType(val[0])
				}
			}
		}
		if e.Name == "" || e.Seq == 0 || e.Type == 0 {
			return nil, manifestErr(lineno, raw, "invalid AOF manifest file format")
		}
		switch e.Type {
		case TypeBase:
			if m.Base != nil {
				return nil, manifestErr(lineno, raw, "found duplicate base file information")
			}
			b := e
			m.Base = &b
		case TypeHistory:
			m.History = append(m.History, e)
		case TypeIncr:
			if e.Seq <= maxIncr {
				return nil, manifestErr(lineno, raw, "found a non-monotonic sequence number")
			}
			maxIncr = e.Seq
			m.Incr = append(m.Incr, e)
		default:
			return nil, manifestErr(lineno, raw, "unknown AOF file type")
		}
	}
	return m, nil
}

func manifestErr(lineno int, line []byte, msg string) error {
	if len(line) > 80 {
		line = line[:80]
	}
	return fmt.Errorf("aof: bad manifest at line %d (%q): %s", lineno, line, msg)
}

// atoll parses a leading decimal integer the way C's atoll does (0 when there is none), which is how
// Valkey reads the seq value.
func atoll(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, err := strconv.ParseInt(s[:end], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// Format renders the manifest as Valkey writes it: base, history, then incr lines, each
// "file <name> seq <n> type <t>\n". A name with blanks, quotes, backslashes or non-printable bytes is
// written double quoted with C escapes, as Valkey does; so is a name with a single quote, which Valkey
// writes bare but could not split back.
func (m *Manifest) Format() []byte {
	var b []byte
	add := func(e Entry) {
		b = append(b, "file "...)
		b = append(b, textargs.Quote(e.Name)...)
		b = append(b, " seq "...)
		b = strconv.AppendInt(b, e.Seq, 10)
		b = append(b, " type "...)
		b = append(b, byte(e.Type), '\n')
	}
	if m.Base != nil {
		add(*m.Base)
	}
	for _, e := range m.History {
		add(e)
	}
	for _, e := range m.Incr {
		add(e)
	}
	return b
}

// Clone is a deep copy, so a change can be prepared and persisted before it replaces the live manifest.
func (m *Manifest) Clone() *Manifest {
	c := &Manifest{History: append([]Entry(nil), m.History...), Incr: append([]Entry(nil), m.Incr...)}
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	return c
}

// Empty reports a manifest with neither base nor incr files (there is nothing to load).
func (m *Manifest) Empty() bool { return m.Base == nil && len(m.Incr) == 0 }

// baseSeq and incrSeq are the sequence numbers the next base and incr files follow.
func (m *Manifest) baseSeq() int64 {
	if m.Base == nil {
		return 0
	}
	return m.Base.Seq
}

func (m *Manifest) incrSeq() int64 {
	if len(m.Incr) == 0 {
		return 0
	}
	return m.Incr[len(m.Incr)-1].Seq
}

// baseName and incrName follow Valkey's naming: <appendfilename>.<seq>.base.rdb|aof and
// <appendfilename>.<seq>.incr.aof.
func baseName(fileName string, seq int64, rdb bool) string {
	suffix := ".aof"
	if rdb {
		suffix = ".rdb"
	}
	return fileName + "." + strconv.FormatInt(seq, 10) + ".base" + suffix
}

func incrName(fileName string, seq int64) string {
	return fileName + "." + strconv.FormatInt(seq, 10) + ".incr.aof"
}

func manifestName(fileName string) string     { return fileName + ".manifest" }
func tempManifestName(fileName string) string { return "temp-" + fileName + ".manifest" }

// writeManifest replaces the manifest atomically: a temporary file is written and fsynced, renamed over the
// manifest, and the directory is fsynced so that the rename and any file created since are durable.
func writeManifest(dir, fileName string, m *Manifest) error {
	tmp := filepath.Join(dir, tempManifestName(fileName))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("aof: can't open the AOF manifest file %s: %w", tmp, err)
	}
	if _, err := f.Write(m.Format()); err != nil {
		f.Close()
		return fmt.Errorf("aof: error writing the temporary AOF manifest file %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("aof: fail to fsync the temp AOF manifest %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("aof: closing the temp AOF manifest %s: %w", tmp, err)
	}
	final := filepath.Join(dir, manifestName(fileName))
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("aof: error renaming the temporary AOF manifest file into %s: %w", final, err)
	}
	return syncDir(dir)
}

// syncDir fsyncs a directory so that renames, creations and removals in it survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("aof: open directory %s for fsync: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("aof: fsync directory %s: %w", dir, err)
	}
	return nil
}

// readManifest loads the manifest of dir; (nil, nil) when there is none.
func readManifest(dir, fileName string) (*Manifest, error) {
	path := filepath.Join(dir, manifestName(fileName))
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("aof: can't open the AOF manifest file %s for reading: %w", path, err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return m, nil
}
