// Package resp reads client commands (RESP multibulk and inline) and writes RESP2/RESP3 replies.
//
// The Reader owns one growable input buffer per connection, like Valkey's query buffer. Next parses a command
// out of what is already buffered without touching the connection, so a server can collect every complete
// pipelined command, execute them as one batch and flush the replies once. The arguments Next returns are
// slices of that buffer: they stay valid until the next call to Fill or Reset.
package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/valkey-node/valkey-node/server/textargs"
)

const (
	defaultBufSize = 16 * 1024
	// inlineMax is the longest inline command or multibulk header line accepted (Valkey's PROTO_INLINE_MAX_SIZE).
	inlineMax = 64 * 1024
	// Limits for clients that have not authenticated yet: they may not make the server allocate much.
	unauthMaxArgs = 10
	unauthMaxBulk = 16384
	maxMultibulk  = 1<<31 - 1
)

// ProtocolError is a malformed request. Its text is what the client gets before the connection is closed.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "ERR Protocol error: " + e.Msg }

// ErrQueryBufferLimit is returned when a single request would grow the input buffer past MaxQueryBuf.
var ErrQueryBufferLimit = errors.New("client reached max query buffer length")

// Reader parses commands from a connection.
type Reader struct {
	rd  io.Reader
	buf []byte
	r   int // start of unparsed input
	w   int // end of buffered input

	// MaxBulkLen is proto-max-bulk-len; MaxQueryBuf is client-query-buffer-limit. Zero means no limit.
	MaxBulkLen  int64
	MaxQueryBuf int64
	// Strict applies the small limits Valkey uses for clients that have not authenticated.
	Strict bool

	argv [][]byte // arena of argument slices handed out since the last Reset

	// state of a multibulk command that is not complete yet, so a large request arriving in many reads is
	// not parsed again from its start each time. Offsets are relative to r.
	pending  bool
	mbCount  int
	mbPos    int
	mbOffs   []int // start,end pairs of complete arguments
	needBulk int64 // length of the bulk being waited for, -1 if waiting for a header line
}

// NewReader returns a Reader for rd.
func NewReader(rd io.Reader) *Reader {
	return &Reader{rd: rd, buf: make([]byte, defaultBufSize), needBulk: -1}
}

// Buffered is the number of bytes read from the connection but not yet parsed.
func (r *Reader) Buffered() int { return r.w - r.r }

// Reset forgets the argument slices handed out so far; call it before collecting a new batch.
func (r *Reader) Reset() { r.argv = r.argv[:0] }

// Fill reads more input from the connection, blocking until some arrives. It may move buffered bytes, so
// arguments returned earlier become invalid.
func (r *Reader) Fill() error {
	if r.r > 0 {
		// compact: keep only the unparsed tail
		n := copy(r.buf, r.buf[r.r:r.w])
		r.r, r.w = 0, n
	}
	if r.w == 0 && len(r.buf) > 4*defaultBufSize {
		// a big request has been consumed; give the memory back
		r.buf = make([]byte, defaultBufSize)
	}
	if r.w == len(r.buf) {
		want := 2 * len(r.buf)
		if r.pending && r.needBulk >= 0 {
			// we know exactly how much the current argument needs
			if need := r.mbPos + int(r.needBulk) + 2; need > want {
				want = need
			}
		}
		if r.MaxQueryBuf > 0 && int64(want) > r.MaxQueryBuf {
			if int64(len(r.buf)) >= r.MaxQueryBuf {
				return ErrQueryBufferLimit
			}
			want = int(r.MaxQueryBuf)
		}
		nb := make([]byte, want)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	n, err := r.rd.Read(r.buf[r.w:])
	r.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// Next parses the next complete command from buffered input. ok is false when more input is needed (call
// Fill). Empty commands (blank inline lines, "*0") are skipped. A non-nil error is a protocol error or a limit.
func (r *Reader) Next() (args [][]byte, ok bool, err error) {
	for r.r < r.w {
		if !r.pending && r.buf[r.r] != '*' {
			args, ok, err = r.inline()
		} else {
			args, ok, err = r.multibulk()
		}
		if err != nil || !ok {
			return nil, false, err
		}
		if len(args) > 0 {
			return args, true, nil
		}
	}
	return nil, false, nil
}

func (r *Reader) inline() ([][]byte, bool, error) {
	data := r.buf[r.r:r.w]
	nl := bytes.IndexByte(data, '\n')
	if nl < 0 {
		if len(data) > inlineMax {
			return nil, false, &ProtocolError{"too big inline request"}
		}
		return nil, false, nil
	}
	line := data[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	parts, err := textargs.Split(line)
	if err != nil {
		return nil, false, &ProtocolError{"unbalanced quotes in request"}
	}
	r.r += nl + 1
	if len(parts) == 0 {
		return nil, true, nil
	}
	start := len(r.argv)
	r.argv = append(r.argv, parts...)
	return r.argv[start:], true, nil
}

// line returns the header line starting at off (relative to r.r) without its CRLF, and the offset after it.
func (r *Reader) line(off int, what string) ([]byte, int, bool, error) {
	data := r.buf[r.r+off : r.w]
	cr := bytes.IndexByte(data, '\r')
	if cr < 0 || cr+1 >= len(data) {
		if len(data) > inlineMax {
			return nil, 0, false, &ProtocolError{"too big " + what + " count string"}
		}
		return nil, 0, false, nil
	}
	return data[:cr], off + cr + 2, true, nil
}

func (r *Reader) multibulk() ([][]byte, bool, error) {
	if !r.pending {
		hdr, next, ok, err := r.line(0, "mbulk")
		if !ok {
			return nil, false, err
		}
		n, valid := parseInt(hdr[1:])
		if !valid || n > maxMultibulk || (r.Strict && n > unauthMaxArgs) {
			return nil, false, &ProtocolError{"invalid multibulk length"}
		}
		if n <= 0 {
			r.r += next
			return nil, true, nil
		}
		r.pending, r.mbCount, r.mbPos, r.mbOffs, r.needBulk = true, int(n), next, r.mbOffs[:0], -1
	}
	for len(r.mbOffs)/2 < r.mbCount {
		if r.needBulk < 0 {
			if r.r+r.mbPos >= r.w {
				return nil, false, nil
			}
			if c := r.buf[r.r+r.mbPos]; c != '$' {
				r.pending = false
				return nil, false, &ProtocolError{fmt.Sprintf("expected '$', got '%c'", c)}
			}
			hdr, next, ok, err := r.line(r.mbPos, "bulk")
			if err != nil {
				r.pending = false
			}
			if !ok {
				return nil, false, err
			}
			n, valid := parseInt(hdr[1:])
			limit := r.MaxBulkLen
			if r.Strict {
				limit = unauthMaxBulk
			}
			if !valid || n < 0 || (limit > 0 && n > limit) {
				r.pending = false
				return nil, false, &ProtocolError{"invalid bulk length"}
			}
			r.needBulk, r.mbPos = n, next
		}
		if int64(r.w-r.r-r.mbPos) < r.needBulk+2 {
			return nil, false, nil
		}
		r.mbOffs = append(r.mbOffs, r.mbPos, r.mbPos+int(r.needBulk))
		r.mbPos += int(r.needBulk) + 2
		r.needBulk = -1
	}
	start := len(r.argv)
	base := r.r
	for i := 0; i < len(r.mbOffs); i += 2 {
		s, e := base+r.mbOffs[i], base+r.mbOffs[i+1]
		r.argv = append(r.argv, r.buf[s:e:e])
	}
	r.r += r.mbPos
	r.pending = false
	return r.argv[start:], true, nil
}

// parseInt parses a strict decimal integer (optional '-', no '+', no spaces, no leading zeros), as Valkey's
// string2ll does for protocol lengths.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	neg := false
	if b[0] == '-' {
		neg = true
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	if len(b) > 1 && b[0] == '0' {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	if neg {
		return -int64(n), true
	}
	return int64(n), true
}
