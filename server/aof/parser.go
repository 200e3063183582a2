package aof

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// The AOF command stream is RESP multibulk only: "*<argc>\r\n" then argc times "$<len>\r\n<bytes>\r\n".
// Lines starting with '#' between commands are annotations (Valkey writes "#TS:<unix>\r\n" when
// aof-timestamp-enabled is on) and are skipped. A separate small parser rather than server/resp: the file
// is read through a bufio.Reader that an RDB preamble loader may have consumed first, offsets must be exact
// for truncation, and the rules differ (no inline commands, no client limits).

// errTruncated marks an end of file inside a command; the caller decides between dropping the tail and
// failing.
var errTruncated = errors.New("unexpected end of file")

// formatError is a malformed command: always fatal.
type formatError struct{ msg string }

func (e *formatError) Error() string { return "bad file format: " + e.msg }

const (
	// maxLine bounds header and annotation lines (Valkey reads them into a 1 KiB buffer).
	maxLine = 64 * 1024
	// maxArgc and maxBulk only refuse absurd headers; memory grows with the bytes actually present.
	maxArgc = 1<<31 - 1
	maxBulk = 1<<32 - 1
	// readChunk is how much of a large bulk is read per step, so a corrupt length does not allocate
	// gigabytes before the end of the file is found.
	readChunk = 1 << 20
)

// cmdReader reads commands from br. off counts the bytes consumed so far (from the start of the file once
// the caller has set it).
type cmdReader struct {
	br  *bufio.Reader
	off int64

	arena []byte   // argument bytes of the current command
	ends  []int    // end of each argument in arena
	argv  [][]byte // slices of arena handed out
}

func newCmdReader(br *bufio.Reader, off int64) *cmdReader {
	return &cmdReader{br: br, off: off}
}

// next returns the next command. The slices are valid until the following call. At a clean end of file it
// returns io.EOF; inside a command errTruncated; for bad syntax a *formatError. Annotations are skipped;
// an annotation line cut by the end of the file is reported as errTruncated with annotation set, so the
// caller can drop it without treating it as lost data.
func (r *cmdReader) next() (argv [][]byte, annotation bool, err error) {
	for {
		line, err := r.line()
		if err == io.EOF && len(line) == 0 {
			return nil, false, io.EOF
		}
		if len(line) > 0 && line[0] == '#' {
			if err != nil {
				return nil, true, errTruncated
			}
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if line[0] != '*' {
			return nil, false, &formatError{fmt.Sprintf("expected '*', got %q", clip(line))}
		}
		argc, ok := parseLen(line[1:])
		if !ok || argc < 1 || argc > maxArgc {
			return nil, false, &formatError{fmt.Sprintf("invalid multibulk length %q", clip(line))}
		}
		return r.args(argc)
	}
}

func (r *cmdReader) args(argc int64) ([][]byte, bool, error) {
	r.arena = r.arena[:0]
	r.ends = r.ends[:0]
	for i := int64(0); i < argc; i++ {
		line, err := r.line()
		if err != nil {
			if err == io.EOF {
				err = errTruncated
			}
			return nil, false, err
		}
		if line[0] != '$' {
			return nil, false, &formatError{fmt.Sprintf("expected '$', got %q", clip(line))}
		}
		n, ok := parseLen(line[1:])
		if !ok || n < 0 || n > maxBulk {
			return nil, false, &formatError{fmt.Sprintf("invalid bulk length %q", clip(line))}
		}
		if err := r.bulk(int(n)); err != nil {
			return nil, false, err
		}
		r.ends = append(r.ends, len(r.arena))
	}
	r.argv = r.argv[:0]
	start := 0
	for _, end := range r.ends {
		r.argv = append(r.argv, r.arena[start:end:end])
		start = end
	}
	return r.argv, false, nil
}

// bulk appends n bytes and checks the CRLF after them.
func (r *cmdReader) bulk(n int) error {
	for n > 0 {
		step := min(n, readChunk)
		at := len(r.arena)
		r.arena = append(r.arena, make([]byte, step)...)
		got, err := io.ReadFull(r.br, r.arena[at:])
		r.off += int64(got)
		if err != nil {
			return errTruncated
		}
		n -= step
	}
	var crlf [2]byte
	got, err := io.ReadFull(r.br, crlf[:])
	r.off += int64(got)
	if err != nil {
		return errTruncated
	}
	if crlf != [2]byte{'\r', '\n'} {
		return &formatError{fmt.Sprintf("bulk not followed by CRLF (got %q)", crlf[:])}
	}
	return nil
}

// line returns the next line without its line ending. io.EOF with an empty line is a clean end; any
// other unterminated line comes back with errTruncated (or with io.EOF for the caller to classify, when
// no byte was read).
func (r *cmdReader) line() ([]byte, error) {
	b, err := r.br.ReadSlice('\n')
	r.off += int64(len(b))
	switch {
	case err == bufio.ErrBufferFull || (err == nil && len(b) > maxLine):
		return nil, &formatError{"line too long"}
	case err == io.EOF:
		if len(b) == 0 {
			return nil, io.EOF
		}
		return b, errTruncated
	case err != nil:
		return nil, fmt.Errorf("read: %w", err)
	}
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	if len(b) == 0 {
		return nil, &formatError{"empty line"}
	}
	return b, nil
}

// parseLen reads a decimal length: digits with an optional leading '-', nothing else.
func parseLen(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 19 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg, b = true, b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func clip(b []byte) []byte {
	if len(b) > 32 {
		return b[:32]
	}
	return b
}
