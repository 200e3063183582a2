package rdb

import (
	"errors"
	"io"

	"github.com/valkey-node/valkey-node/server/rdb/crc64"
)

// readerBufSize is the read-ahead buffer. Records are small and many, so most reads are served from it
// without a call into the source; a string longer than it is read straight into its own memory.
const readerBufSize = 64 << 10

// directChunk is how much of a long string is read (and so allocated) at a time: a corrupt length runs
// into the end of the input after at most this much memory more than the input actually holds.
const directChunk = 1 << 20

// reader is a read-ahead buffer over the input that knows how many bytes were consumed (for error
// offsets) and keeps the CRC64 of all of them (for the checksum at the end of a file).
//
// The CRC is brought up to date lazily, over whole runs of consumed bytes, when the buffer is refilled or
// the sum is asked for: one call per 64 kB instead of one per field.
type reader struct {
	src  io.Reader
	buf  []byte // buf[r:] is buffered and not consumed
	r    int
	crcd int   // buf[:crcd] is included in crc
	base int64 // input offset of buf[0]
	crc  uint64
	err  error // the source's error, returned once the buffer is drained
}

func newReader(src io.Reader) *reader {
	return &reader{src: src, buf: make([]byte, 0, readerBufSize)}
}

// newSliceReader reads b in place: the whole input is the buffer, nothing is copied, and b is never
// written to.
func newSliceReader(b []byte) *reader {
	return &reader{buf: b[:len(b):len(b)], err: io.EOF}
}

// offset is the number of bytes consumed.
func (rd *reader) offset() int64 { return rd.base + int64(rd.r) }

// sum returns the CRC64 of every byte consumed so far.
func (rd *reader) sum() uint64 {
	rd.crc = crc64.Update(rd.crc, rd.buf[rd.crcd:rd.r])
	rd.crcd = rd.r
	return rd.crc
}

// fill makes at least n (<= readerBufSize) bytes available in buf[r:], or returns the reason it cannot.
func (rd *reader) fill(n int) error {
	if len(rd.buf)-rd.r >= n {
		return nil
	}
	if rd.src == nil {
		return io.ErrUnexpectedEOF
	}
	if n > cap(rd.buf) {
		return errors.New("read larger than the buffer") // a bug: callers ask for small reads only
	}
	// fold the consumed bytes into the CRC and move the unconsumed tail to the front
	rd.sum()
	rest := copy(rd.buf[:cap(rd.buf)], rd.buf[rd.r:])
	rd.base += int64(rd.r)
	rd.buf = rd.buf[:rest]
	rd.r, rd.crcd = 0, 0
	for len(rd.buf) < n {
		if rd.err != nil {
			return rd.err
		}
		m, err := rd.src.Read(rd.buf[len(rd.buf):cap(rd.buf)])
		rd.buf = rd.buf[:len(rd.buf)+m]
		if err != nil {
			rd.err = err
		} else if m == 0 {
			// a reader that returns nothing without an error: keep asking, as io.ReadFull does
			continue
		}
	}
	return nil
}

// readByte consumes one byte.
func (rd *reader) readByte() (byte, error) {
	if rd.r < len(rd.buf) {
		c := rd.buf[rd.r]
		rd.r++
		return c, nil
	}
	if err := rd.fill(1); err != nil {
		return 0, err
	}
	c := rd.buf[rd.r]
	rd.r++
	return c, nil
}

// next consumes n (<= 256, or up to the buffer's size) bytes and returns them in the buffer's memory, valid until the next
// read.
func (rd *reader) next(n int) ([]byte, error) {
	if len(rd.buf)-rd.r < n {
		if err := rd.fill(n); err != nil {
			return nil, err
		}
	}
	b := rd.buf[rd.r : rd.r+n : rd.r+n]
	rd.r += n
	return b, nil
}

// appendN consumes n bytes and appends them to dst. Up to the buffer's size they are copied from it;
// beyond, memory grows only as the bytes arrive.
func (rd *reader) appendN(dst []byte, n int) ([]byte, error) {
	if n <= cap(rd.buf) {
		b, err := rd.next(n)
		if err != nil {
			return dst, err
		}
		return append(dst, b...), nil
	}
	// drain the buffer, then read the rest directly, folding it into the CRC as it goes
	avail := len(rd.buf) - rd.r
	dst = append(dst, rd.buf[rd.r:]...)
	rd.r = len(rd.buf)
	rd.sum()
	n -= avail
	for n > 0 {
		if rd.err != nil {
			if rd.err == io.EOF {
				return dst, io.ErrUnexpectedEOF
			}
			return dst, rd.err
		}
		chunk := min(n, directChunk)
		start := len(dst)
		dst = grow(dst, chunk)
		m, err := io.ReadFull(rd.src, dst[start:start+chunk])
		dst = dst[:start+m]
		rd.crc = crc64.Update(rd.crc, dst[start:start+m])
		rd.base += int64(m)
		n -= m
		if err != nil {
			rd.err = err
		}
	}
	return dst, nil
}

// skip consumes n bytes without keeping them.
func (rd *reader) skip(n int64) error {
	for n > 0 {
		k := int(min(n, int64(max(cap(rd.buf), 1))))
		if _, err := rd.next(k); err != nil {
			return err
		}
		n -= int64(k)
	}
	return nil
}

// buffered returns the bytes read ahead of the consumed position.
func (rd *reader) buffered() []byte { return rd.buf[rd.r:] }

// grow returns b extended by n bytes, reallocating (at least doubling) when it has no room.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), max(len(b)+n, 2*cap(b)))
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// isEOF reports whether err means the input ended.
func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
