package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/valkey-node/valkey-node/server/rdb/lzf"
)

// maxStringLen caps the length a string may declare: far above anything a server accepts, low enough
// that length arithmetic cannot overflow. Memory is still only committed as bytes arrive.
const maxStringLen = 1 << 40

// lzfMaxRatio bounds the declared uncompressed length of an LZF string by its compressed length: a
// back-reference of 3 bytes expands to at most 264, so nothing real comes near this, and a corrupt length
// cannot make us allocate gigabytes for a few compressed bytes.
const lzfMaxRatio = 128

// Decoder reads an RDB stream record by record. It reads ahead of what it has consumed, so an RDB that is
// followed by other data (a replication stream) should be given to it through an io.LimitReader, or the
// read-ahead recovered with Buffered.
type Decoder struct {
	rd      *reader
	lim     Limits
	version int
	started bool
	// err is returned by every call after a failure: the position in the input is lost.
	err error
	// inSync marks an error after which the input is still positioned at the next record (a value
	// that was parsed whole but cannot be represented here), so decoding may go on.
	inSync bool

	// scratch buffers for strings that are consumed before the next read (elements copied into a
	// value, blobs iterated in place)
	sa, sb, blob, lzfBuf []byte
	num                  [24]byte
	ints                 []int64
}

// NewDecoder returns a decoder reading from r with the encoding thresholds lim.
func NewDecoder(r io.Reader, lim Limits) *Decoder {
	return &Decoder{rd: newReader(r), lim: lim}
}

// Offset is the number of input bytes consumed.
func (d *Decoder) Offset() int64 { return d.rd.offset() }

// Buffered returns input bytes read ahead of the consumed position (after io.EOF: whatever followed the
// checksum). The slice is valid until the next call.
func (d *Decoder) Buffered() []byte { return d.rd.buffered() }

// Version is the version read by Header (0 before it).
func (d *Decoder) Version() int { return d.version }

// errorf returns a FormatError at the current offset.
func (d *Decoder) errorf(format string, args ...any) error {
	return &FormatError{Offset: d.rd.offset(), Msg: fmt.Sprintf(format, args...)}
}

// readErr turns a failed read into a FormatError (a FormatError passes through).
func (d *Decoder) readErr(err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		return err
	}
	if isEOF(err) {
		return &FormatError{Offset: d.rd.offset(), Msg: "unexpected end of input", Err: err}
	}
	return &FormatError{Offset: d.rd.offset(), Msg: "read error: " + err.Error(), Err: err}
}

// Header reads the 9-byte signature and returns the RDB version: 1 to 11 for "REDIS00nn", 80 for
// "VALKEY080".
func (d *Decoder) Header() (int, error) {
	if d.started {
		return d.version, d.err
	}
	d.started = true
	b, err := d.rd.next(9)
	if err != nil {
		d.err = d.readErr(err)
		return 0, d.err
	}
	switch {
	case string(b[:5]) == "REDIS" && allDigits(b[5:]):
		v, _ := strconv.Atoi(string(b[5:]))
		if v < 1 || v > maxReadVersion {
			d.err = &FormatError{Offset: 9, Msg: fmt.Sprintf("Can't handle RDB format version %d", v)}
			return 0, d.err
		}
		d.version = v
	case string(b[:6]) == "VALKEY" && allDigits(b[6:]):
		v, _ := strconv.Atoi(string(b[6:]))
		if v != valkeyVersion {
			d.err = &FormatError{Offset: 9, Msg: fmt.Sprintf("Can't handle RDB format version %d", v)}
			return 0, d.err
		}
		d.version = v
	default:
		d.err = &FormatError{Offset: 0, Msg: "Wrong signature trying to load DB from file"}
		return 0, d.err
	}
	return d.version, nil
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Next reads the next record into rec. It returns io.EOF after the end marker and a checksum that matches
// (or is 0, or absent in files older than version 5); any other error is a *FormatError. After an error
// every later call returns it again, except for a value this server cannot hold (a stream): it is parsed
// whole, so the next call goes on with the record after it.
func (d *Decoder) Next(rec *Record) error {
	if !d.started {
		if _, err := d.Header(); err != nil {
			return err
		}
	}
	if d.err != nil {
		return d.err
	}
	rec.reset()
	d.inSync = false
	err := d.next(rec)
	switch {
	case err == nil:
		return nil
	case err == errEnd:
		d.err = io.EOF
	case d.inSync:
		return err
	default:
		// io.EOF here is input that ended inside the records: an error, unlike errEnd
		d.err = d.readErr(err)
	}
	return d.err
}

// errEnd is next's report of the end marker with a valid checksum, which Next returns as io.EOF: an
// io.EOF from the input itself is a truncated file.
var errEnd = errors.New("end of RDB")

func (d *Decoder) next(rec *Record) error {
	for {
		op, err := d.rd.readByte()
		if err != nil {
			return err
		}
		switch op {
		case opExpireMs:
			b, err := d.rd.next(8)
			if err != nil {
				return err
			}
			rec.ExpireMs = int64(binary.LittleEndian.Uint64(b))
		case opExpireSec:
			b, err := d.rd.next(4)
			if err != nil {
				return err
			}
			rec.ExpireMs = int64(binary.LittleEndian.Uint32(b)) * 1000
		case opIdle:
			n, err := d.readLen()
			if err != nil {
				return err
			}
			rec.Idle = int64(min(n, math.MaxInt64))
		case opFreq:
			c, err := d.rd.readByte()
			if err != nil {
				return err
			}
			rec.Freq = int(c)
		case opSelectDB:
			n, err := d.readLen()
			if err != nil {
				return err
			}
			if n > math.MaxInt32 {
				return d.errorf("database number %d out of range", n)
			}
			rec.Kind, rec.DB = RecSelectDB, int(n)
			return nil
		case opResizeDB:
			if rec.DBSize, err = d.readLen(); err != nil {
				return err
			}
			if rec.ExpiresSize, err = d.readLen(); err != nil {
				return err
			}
			rec.Kind = RecResizeDB
			return nil
		case opSlotInfo:
			// slot id, keys and expires in the slot: a sizing hint for cluster mode, not needed to load
			for i := 0; i < 3; i++ {
				if _, err := d.readLen(); err != nil {
					return err
				}
			}
		case opAux:
			k, err := d.readString(d.sa[:0])
			if err != nil {
				return err
			}
			d.sa = k
			v, err := d.readString(d.sb[:0])
			if err != nil {
				return err
			}
			d.sb = v
			rec.Kind, rec.Aux = RecAux, [2]string{string(k), string(v)}
			return nil
		case opFunction2:
			code, err := d.readString(nil)
			if err != nil {
				return err
			}
			rec.Kind, rec.Code = RecFunction, code
			return nil
		case opFunctionPreGA:
			return d.errorf("pre-release function format not supported")
		case opModuleAux:
			return d.errorf("module auxiliary data found but modules are not supported")
		case opEOF:
			return d.finish()
		default:
			if !isValueType(op) {
				return d.errorf("unknown RDB record type %d", op)
			}
			key, err := d.readString(nil)
			if err != nil {
				return err
			}
			if key == nil {
				key = []byte{}
			}
			obj, empty, err := d.readObject(op, key)
			if err != nil {
				return err
			}
			if empty {
				// Valkey skips empty collections (written by old versions) rather than failing the load
				rec.reset()
				continue
			}
			rec.Kind, rec.Key, rec.Obj = RecKey, key, obj
			return nil
		}
	}
}

// finish reads the checksum after the EOF opcode and checks it against the bytes before it.
func (d *Decoder) finish() error {
	if d.version < 5 {
		return errEnd
	}
	want := d.rd.sum()
	b, err := d.rd.next(8)
	if err != nil {
		return err
	}
	got := binary.LittleEndian.Uint64(b)
	if got != 0 && got != want {
		return &FormatError{Offset: d.rd.offset() - 8,
			Msg: fmt.Sprintf("Wrong RDB checksum expected: (%x) got: (%x)", want, got)}
	}
	return errEnd
}

func isValueType(t byte) bool {
	switch t {
	case typeString, typeList, typeSet, typeZSet, typeHash, typeZSet2, typeModulePreGA, typeModule2,
		typeHashZipmap, typeListZiplist, typeSetIntset, typeZSetZiplist, typeHashZiplist,
		typeListQuicklist, typeStreamListpacks, typeHashListpack, typeZSetListpack, typeListQuicklist2,
		typeStreamListpack2, typeSetListpack, typeStreamListpack3:
		return true
	}
	return false
}

// readLenEnc reads a length, or the special encoding of a string (enc >= 0).
func (d *Decoder) readLenEnc() (n uint64, enc int, err error) {
	c, err := d.rd.readByte()
	if err != nil {
		return 0, -1, err
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), -1, nil
	case 1:
		c2, err := d.rd.readByte()
		if err != nil {
			return 0, -1, err
		}
		return uint64(c&0x3f)<<8 | uint64(c2), -1, nil
	case 2:
		switch c {
		case 0x80:
			b, err := d.rd.next(4)
			if err != nil {
				return 0, -1, err
			}
			return uint64(binary.BigEndian.Uint32(b)), -1, nil
		case 0x81:
			b, err := d.rd.next(8)
			if err != nil {
				return 0, -1, err
			}
			return binary.BigEndian.Uint64(b), -1, nil
		}
		return 0, -1, d.errorf("unknown length encoding 0x%02x", c)
	}
	return 0, int(c & 0x3f), nil
}

// readLen reads a length (a string encoding there is an error).
func (d *Decoder) readLen() (uint64, error) {
	n, enc, err := d.readLenEnc()
	if err == nil && enc >= 0 {
		return 0, d.errorf("unexpected string encoding %d where a length was expected", enc)
	}
	return n, err
}

// readCount reads the number of elements of a collection, refusing ones no input could hold.
func (d *Decoder) readCount() (int, error) {
	n, err := d.readLen()
	if err != nil {
		return 0, err
	}
	if n > math.MaxInt32 {
		return 0, d.errorf("collection length %d out of range", n)
	}
	return int(n), nil
}

// readString reads a string and appends it to dst: integers are rendered in decimal, LZF is expanded.
func (d *Decoder) readString(dst []byte) ([]byte, error) {
	n, enc, err := d.readLenEnc()
	if err != nil {
		return dst, err
	}
	switch enc {
	case -1:
		if n > maxStringLen {
			return dst, d.errorf("string length %d out of range", n)
		}
		return d.rd.appendN(dst, int(n))
	case encInt8:
		c, err := d.rd.readByte()
		if err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, int64(int8(c)), 10), nil
	case encInt16:
		b, err := d.rd.next(2)
		if err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, int64(int16(binary.LittleEndian.Uint16(b))), 10), nil
	case encInt32:
		b, err := d.rd.next(4)
		if err != nil {
			return dst, err
		}
		return strconv.AppendInt(dst, int64(int32(binary.LittleEndian.Uint32(b))), 10), nil
	case encLZF:
		return d.readLZF(dst)
	}
	return dst, d.errorf("unknown string encoding %d", enc)
}

// readLZF reads an LZF-compressed string (after its encoding byte) and appends it expanded to dst.
func (d *Decoder) readLZF(dst []byte) ([]byte, error) {
	clen, err := d.readLen()
	if err != nil {
		return dst, err
	}
	ulen, err := d.readLen()
	if err != nil {
		return dst, err
	}
	if clen == 0 || clen > maxStringLen || ulen > maxStringLen || ulen > clen*lzfMaxRatio {
		return dst, d.errorf("invalid LZF lengths (compressed %d, expanded %d)", clen, ulen)
	}
	c, err := d.rd.appendN(d.lzfBuf[:0], int(clen))
	if err != nil {
		return dst, err
	}
	d.lzfBuf = c
	out, err := lzfExpand(dst, c, int(ulen))
	if err != nil {
		return dst, d.errorf("invalid LZF data: %v", err)
	}
	return out, nil
}

// lzfExpand appends the expansion of c, which must be exactly ulen bytes, to dst.
func lzfExpand(dst, c []byte, ulen int) ([]byte, error) {
	start := len(dst)
	dst = grow(dst, ulen)
	out, err := lzf.Decompress(dst[start:start:start+ulen], c, ulen)
	if err != nil {
		return dst[:start], err
	}
	if len(out) != ulen {
		return dst[:start], fmt.Errorf("expanded to %d bytes instead of %d", len(out), ulen)
	}
	if len(out) > 0 && &out[0] != &dst[start] {
		copy(dst[start:], out)
	}
	return dst, nil
}

// skipString consumes a string without keeping it.
func (d *Decoder) skipString() error {
	n, enc, err := d.readLenEnc()
	if err != nil {
		return err
	}
	switch enc {
	case -1:
		return d.rd.skip(int64(min(n, math.MaxInt64)))
	case encInt8:
		return d.rd.skip(1)
	case encInt16:
		return d.rd.skip(2)
	case encInt32:
		return d.rd.skip(4)
	case encLZF:
		clen, err := d.readLen()
		if err != nil {
			return err
		}
		if _, err := d.readLen(); err != nil {
			return err
		}
		return d.rd.skip(int64(min(clen, math.MaxInt64)))
	}
	return d.errorf("unknown string encoding %d", enc)
}
