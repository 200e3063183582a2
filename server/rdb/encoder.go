package rdb

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"unsafe"

	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/rdb/blobs"
	"github.com/valkey-node/valkey-node/server/rdb/crc64"
	"github.com/valkey-node/valkey-node/server/rdb/lzf"
)

// encBufSize is the write buffer: the output sees few large writes, and the CRC64 runs over whole
// buffers.
const encBufSize = 64 << 10

// lzfMinLen is the shortest string worth trying to compress (Redis's rule: more than 20 bytes).
const lzfMinLen = 21

// Encoder writes an RDB stream: Header, then Aux fields, then per database SelectDB and its keys, then
// Finish. It buffers its output and keeps the CRC64 of every byte it wrote. After a write error every
// method returns that error.
type Encoder struct {
	w       io.Writer
	o       Options
	buf     []byte
	crc     uint64
	flushed int64
	err     error

	lp      blobs.ListpackBuilder
	lpOut   []byte
	lzfBuf  []byte
	nodes   []listChunk
	members []int64
}

// NewEncoder returns an encoder writing to w.
func NewEncoder(w io.Writer, o Options) *Encoder {
	return &Encoder{w: w, o: o, buf: make([]byte, 0, encBufSize)}
}

// Written is the number of bytes written so far, buffered ones included.
func (e *Encoder) Written() int64 { return e.flushed + int64(len(e.buf)) }

// flush hands the buffer to the writer.
func (e *Encoder) flush() {
	if e.err != nil || len(e.buf) == 0 {
		return
	}
	e.out(e.buf)
	e.buf = e.buf[:0]
}

// out writes p to the writer, folding it into the CRC.
func (e *Encoder) out(p []byte) {
	e.crc = crc64.Update(e.crc, p)
	n, err := e.w.Write(p)
	e.flushed += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		e.err = fmt.Errorf("writing RDB: %w", err)
	}
}

// write appends p to the output.
func (e *Encoder) write(p []byte) {
	if e.err != nil {
		return
	}
	if len(e.buf)+len(p) > cap(e.buf) {
		e.flush()
		if len(p) > cap(e.buf) {
			e.out(p)
			return
		}
	}
	e.buf = append(e.buf, p...)
}

// room makes sure n small bytes can be appended to buf directly.
func (e *Encoder) room(n int) {
	if len(e.buf)+n > cap(e.buf) {
		e.flush()
	}
}

func (e *Encoder) writeByte(c byte) {
	e.room(1)
	e.buf = append(e.buf, c)
}

// writeLen writes a length: 6 bits, 14 bits, or a marker byte and a 32- or 64-bit big-endian value.
func (e *Encoder) writeLen(n uint64) {
	e.room(9)
	e.buf = appendLen(e.buf, n)
}

func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xFFFFFFFF:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// appendIntEncoded appends the integer encoding of n (which fits 32 bits).
func appendIntEncoded(b []byte, n int64) []byte {
	switch {
	case n >= -1<<7 && n < 1<<7:
		return append(b, 0xC0|encInt8, byte(n))
	case n >= -1<<15 && n < 1<<15:
		return binary.LittleEndian.AppendUint16(append(b, 0xC0|encInt16), uint16(n))
	}
	return binary.LittleEndian.AppendUint32(append(b, 0xC0|encInt32), uint32(n))
}

// intEncodable reports whether s is the canonical decimal form of an integer that fits 32 bits (no sign
// but '-', no leading zeros, not "-0", so that it reads back byte for byte); such strings are stored in 2
// to 5 bytes instead of as text.
func intEncodable(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 11 {
		return 0, false
	}
	d := s
	if s[0] == '-' {
		d = s[1:]
	}
	if len(d) == 0 || d[0] < '0' || d[0] > '9' || (d[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var n int64
	for _, c := range d {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if s[0] == '-' {
		n = -n
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, false
	}
	return n, true
}

// writeString writes a string: as an integer when it is one, LZF-compressed when enabled and worth it,
// else as its length and bytes.
func (e *Encoder) writeString(s []byte) {
	if n, ok := intEncodable(s); ok {
		e.room(5)
		e.buf = appendIntEncoded(e.buf, n)
		return
	}
	if e.o.Compress && len(s) >= lzfMinLen {
		if cap(e.lzfBuf) < len(s) {
			// Compress returns nil when it gives up, so the buffer must be ours up front to be reused
			e.lzfBuf = make([]byte, 0, max(len(s), 2*cap(e.lzfBuf), 256))
		}
		if c := lzf.Compress(e.lzfBuf[:0], s); c != nil {
			e.lzfBuf = c
			e.room(1 + 9 + 9)
			e.buf = append(e.buf, 0xC0|encLZF)
			e.buf = appendLen(e.buf, uint64(len(c)))
			e.buf = appendLen(e.buf, uint64(len(s)))
			e.write(c)
			return
		}
	}
	e.writeLen(uint64(len(s)))
	e.write(s)
}

// bytesOf views a string as bytes without copying, for the write path, which never modifies what it
// writes.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// Header writes the signature "REDIS0010".
func (e *Encoder) Header() error {
	e.write([]byte(fmt.Sprintf("REDIS%04d", Version)))
	return e.err
}

// Aux writes a metadata pair (redis-ver, redis-bits, ctime, used-mem, repl-id, ...).
func (e *Encoder) Aux(key, val string) error {
	e.writeByte(opAux)
	e.writeString(bytesOf(key))
	e.writeString(bytesOf(val))
	return e.err
}

// SelectDB starts database db, with its number of keys and of keys with an expiry as a sizing hint.
func (e *Encoder) SelectDB(db int, keys, expires uint64) error {
	if db < 0 {
		return fmt.Errorf("rdb: database number %d out of range", db)
	}
	e.writeByte(opSelectDB)
	e.writeLen(uint64(db))
	e.writeByte(opResizeDB)
	e.writeLen(keys)
	e.writeLen(expires)
	return e.err
}

// Function writes a function library's source (FUNCTION2), which servers since Redis 7.0 load with the
// keys.
func (e *Encoder) Function(code string) error {
	e.writeByte(opFunction2)
	e.writeString(bytesOf(code))
	return e.err
}

// Key writes one key with its value and, when expireMs >= 0, its expiry (Unix ms).
func (e *Encoder) Key(key string, obj *keyspace.Object, expireMs int64) error {
	if e.err != nil {
		return e.err
	}
	t, err := valueType(obj)
	if err != nil {
		return fmt.Errorf("rdb: key %s: %w", describeKey([]byte(key)), err)
	}
	if expireMs >= 0 {
		e.room(9)
		e.buf = binary.LittleEndian.AppendUint64(append(e.buf, opExpireMs), uint64(expireMs))
	}
	e.writeByte(t)
	e.writeString(bytesOf(key))
	e.writeValue(t, obj)
	return e.err
}

// Finish writes the end marker and the checksum (0 when checksums are off) and flushes everything.
func (e *Encoder) Finish() error {
	e.writeByte(opEOF)
	e.flush()
	var sum uint64
	if e.o.Checksum {
		sum = e.crc
	}
	e.buf = binary.LittleEndian.AppendUint64(e.buf, sum)
	e.flush()
	return e.err
}
