package rdb

import (
	"bytes"
	"encoding/binary"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// smallFile is a file with a key of every encoding, small enough to corrupt at every offset.
func smallFile(t testing.TB, o Options) []byte {
	lim := DefaultLimits()
	return encodeFile(t, o, []testKey{
		{key: "s", obj: strObj("hello"), expire: -1},
		{key: "i", obj: strObj("123456"), expire: 1_900_000_000_000},
		{key: "z", obj: strObj(strings.Repeat("compressible ", 4)), expire: -1},
		{key: "l", obj: listObj(lim.ListFill, "a", "1", "bb"), expire: -1},
		{key: "q", obj: listObj(2, "a", "b", "c", strings.Repeat("x", 9000)), expire: -1},
		{db: 1, key: "si", obj: setObj(lim.Set, "1", "2", "-3"), expire: -1},
		{db: 1, key: "sl", obj: setObj(lim.Set, "a", "b"), expire: -1},
		{db: 1, key: "h", obj: hashObj(lim.Hash, "f", "v", "g", "7"), expire: -1},
		{db: 1, key: "ht", obj: hashObj(keyspace.HashLimits{}, "f", "v"), expire: -1},
		{db: 2, key: "zl", obj: zsetObj(lim.ZSet, keyspace.ZEntry{Member: "a", Score: 1.5}, keyspace.ZEntry{Member: "b", Score: 2}), expire: -1},
		{db: 2, key: "zs", obj: zsetObj(keyspace.ZLimits{}, keyspace.ZEntry{Member: "a", Score: 1.5}), expire: -1},
	})
}

// TestTruncatedEverywhere cuts a file at every offset: each cut must give a FormatError (never a panic,
// never a clean end) at an offset within the input.
func TestTruncatedEverywhere(t *testing.T) {
	data := smallFile(t, Options{Compress: true, Checksum: true})
	if _, _, err := decodeAll(data, DefaultLimits()); err != nil {
		t.Fatalf("whole file: %v", err)
	}
	for n := 0; n < len(data); n++ {
		_, _, err := decodeAll(data[:n], DefaultLimits())
		if err == nil {
			t.Fatalf("file cut at %d of %d decoded without error", n, len(data))
		}
		fe := asFormatError(t, err)
		if fe.Offset > int64(n) {
			t.Fatalf("cut at %d: error offset %d beyond the input", n, fe.Offset)
		}
	}
}

// TestEveryByteFlipDetected flips each byte of a checksummed file: the damage is always reported (by the
// checksum if not before) as a FormatError.
func TestEveryByteFlipDetected(t *testing.T) {
	data := smallFile(t, Options{Checksum: true})
	for i := range data {
		bad := bytes.Clone(data)
		bad[i] ^= 0x55
		_, _, err := decodeAll(bad, DefaultLimits())
		if err == nil {
			t.Fatalf("byte %d flipped: decoded without error", i)
		}
		asFormatError(t, err)
	}
}

func TestChecksum(t *testing.T) {
	data := smallFile(t, Options{Checksum: true})
	bad := bytes.Clone(data)
	bad[len(bad)-1] ^= 1
	_, _, err := decodeAll(bad, DefaultLimits())
	if fe := asFormatError(t, err); !strings.Contains(fe.Msg, "Wrong RDB checksum") || fe.Offset != int64(len(data)-8) {
		t.Fatalf("bad checksum: %v", err)
	}
	// a zero checksum means "not computed": accepted
	zero := bytes.Clone(data)
	binary.LittleEndian.PutUint64(zero[len(zero)-8:], 0)
	if _, _, err := decodeAll(zero, DefaultLimits()); err != nil {
		t.Fatalf("zero checksum: %v", err)
	}
	// and a file written without checksums loads
	if _, _, err := decodeAll(smallFile(t, Options{}), DefaultLimits()); err != nil {
		t.Fatalf("file without checksum: %v", err)
	}
}

// TestHostileLengths checks that lengths far beyond the input fail without allocating memory to match.
func TestHostileLengths(t *testing.T) {
	huge := func(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte{0x81}, n) }
	cases := map[string][]byte{
		"string":      append(append([]byte{typeString, 1, 'k'}, huge(1<<39)...), "abc"...),
		"key":         append([]byte{typeString}, huge(1<<38)...),
		"list count":  append([]byte{typeList, 1, 'k'}, huge(1<<30)...),
		"list count2": append([]byte{typeList, 1, 'k'}, huge(1<<62)...),
		"set count":   append([]byte{typeSet, 1, 'k', 0x80, 0x7f, 0xff, 0xff, 0xff}, 1, 'a'),
		"hash count":  append([]byte{typeHash, 1, 'k', 0x80, 0x7f, 0xff, 0xff, 0xff}, 1, 'a', 1, 'b'),
		"zset count":  append([]byte{typeZSet2, 1, 'k', 0x80, 0x00, 0x0f, 0xff, 0xff}, 1, 'a'),
		"lzf":         append([]byte{typeString, 1, 'k', 0xC3, 4}, append(huge(1<<38), "abcd"...)...),
		"lzf ratio":   {typeString, 1, 'k', 0xC3, 4, 0x80, 0x10, 0, 0, 0, 1, 2, 3, 4},
		"stream":      append([]byte{typeStreamListpack2, 1, 'k'}, huge(1<<60)...),
		"quicklist":   append([]byte{typeListQuicklist2, 1, 'k'}, huge(1<<50)...),
		"aux":         append([]byte{opAux}, huge(1<<36)...),
	}
	for name, body := range cases {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d := NewDecoder(bytes.NewReader(append([]byte("REDIS0010"), body...)), DefaultLimits())
		var rec Record
		err := d.Next(&rec)
		runtime.ReadMemStats(&after)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		asFormatError(t, err)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
			t.Errorf("%s: allocated %d bytes for a %d-byte input", name, grew, len(body))
		}
	}
}

// TestLongStringAcrossBuffer reads strings longer than the read-ahead buffer from a reader that returns
// a few bytes at a time, checking offsets and checksums across the direct-read path.
func TestLongStringAcrossBuffer(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 20_000) // 320 kB
	data := encodeFile(t, Options{Checksum: true}, []testKey{
		{key: "a", obj: strObj(big), expire: -1},
		{key: "b", obj: strObj("after"), expire: -1},
		{key: "c", obj: strObj(big[:readerBufSize+1]), expire: -1},
	})
	d := NewDecoder(&slowReader{data: data, step: 7777}, DefaultLimits())
	var rec Record
	var got []string
	for {
		err := d.Next(&rec)
		if err == io.EOF {
			break
		}
		must(t, err)
		if rec.Kind == RecKey {
			got = append(got, string(rec.Obj.Str))
		}
	}
	if len(got) != 3 || got[0] != big || got[1] != "after" || got[2] != big[:readerBufSize+1] {
		t.Fatalf("decoded %d keys", len(got))
	}
	if d.Offset() != int64(len(data)) {
		t.Fatalf("offset %d, file is %d bytes", d.Offset(), len(data))
	}
}

// slowReader returns at most step bytes per Read.
type slowReader struct {
	data []byte
	step int
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.step)], r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestReadErrorIsFormatError checks that an I/O failure of the source is reported as a FormatError that
// unwraps to it.
func TestReadErrorIsFormatError(t *testing.T) {
	data := smallFile(t, Options{Checksum: true})
	boom := io.ErrClosedPipe
	d := NewDecoder(io.MultiReader(bytes.NewReader(data[:40]), errReader{boom}), DefaultLimits())
	var rec Record
	var err error
	for err == nil {
		err = d.Next(&rec)
	}
	fe := asFormatError(t, err)
	if fe.Err != boom {
		t.Fatalf("error %v does not carry the read error", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestBufferedAfterEnd checks that bytes following the RDB are left for the caller.
func TestBufferedAfterEnd(t *testing.T) {
	data := smallFile(t, Options{Checksum: true})
	d := NewDecoder(bytes.NewReader(append(bytes.Clone(data), "*1\r\n$4\r\nPING\r\n"...)), DefaultLimits())
	var rec Record
	for {
		err := d.Next(&rec)
		if err == io.EOF {
			break
		}
		must(t, err)
	}
	if string(d.Buffered()) != "*1\r\n$4\r\nPING\r\n" || d.Offset() != int64(len(data)) {
		t.Fatalf("buffered %q, offset %d", d.Buffered(), d.Offset())
	}
}
