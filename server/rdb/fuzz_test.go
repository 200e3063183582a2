package rdb

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/valkey-node/valkey-node/server/rdb/crc64"
)

// FuzzDecoder feeds arbitrary files to the decoder: it must never panic, must fail only with a
// *FormatError, and whatever it loads must survive being written and read again with the same content.
func FuzzDecoder(f *testing.F) {
	f.Add(smallFile(f, Options{Compress: true, Checksum: true}))
	f.Add(smallFile(f, Options{}))
	if real, err := os.ReadFile("testdata/redis-7.0.15.rdb"); err == nil {
		f.Add(real)
	}
	for _, typ := range []byte{typeStreamListpacks, typeStreamListpack2, typeStreamListpack3} {
		b := append([]byte("REDIS0011"), typ, 1, 's')
		f.Add(append(append(b, stream(typ)...), opEOF, 0, 0, 0, 0, 0, 0, 0, 0))
	}
	legacy := [][]byte{
		append([]byte{typeListZiplist, 1, 'k'}, rawStr(string(ziplist("a", 1, -200, 70000, 1<<40)))...),
		append([]byte{typeListQuicklist, 1, 'k', 2}, strs(string(ziplist("a")), string(ziplist("b", 3)))...),
		append([]byte{typeHashZipmap, 1, 'k'}, rawStr(string(zipmap("f", "v", "g", "w")))...),
		append([]byte{typeHashZiplist, 1, 'k'}, rawStr(string(ziplist("f", "v", "n", 5)))...),
		append([]byte{typeZSetZiplist, 1, 'k'}, rawStr(string(ziplist("a", "1.5", "b", 2)))...),
		append([]byte{typeSetListpack, 1, 'k'}, rawStr(string(listpack("a", "1")))...),
		{typeZSet, 1, 'k', 2, 1, 'a', 3, '1', '.', '5', 1, 'b', 254},
		append([]byte{typeList, 1, 'k', 2}, strs("x", "y")...),
	}
	for _, v := range legacy {
		f.Add(append(append([]byte("REDIS0009"), v...), opEOF, 0, 0, 0, 0, 0, 0, 0, 0))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewDecoder(bytes.NewReader(data), DefaultLimits())
		for i := 0; ; i++ {
			var rec Record
			err := d.Next(&rec)
			if err == io.EOF {
				return
			}
			if err != nil {
				var fe *FormatError
				if !errors.As(err, &fe) {
					t.Fatalf("error %v (%T) is not a *FormatError", err, err)
				}
				if fe.Offset > int64(len(data)) {
					t.Fatalf("error offset %d beyond the %d-byte input", fe.Offset, len(data))
				}
				if d.inSync {
					continue // a stream, parsed whole: the next record follows
				}
				if err2 := d.Next(&rec); err2 != err {
					t.Fatalf("after the fatal error %v, Next returned %v", err, err2)
				}
				return
			}
			if i > len(data) {
				t.Fatalf("%d records from %d bytes", i, len(data))
			}
			if rec.Kind != RecKey {
				continue
			}
			p := DumpPayload(&rec.Obj, Options{Compress: true})
			back, err := ParseDumpPayload(p, DefaultLimits())
			if err != nil {
				t.Fatalf("re-reading %s: %v", describe(&rec.Obj), err)
			}
			if a, b := contentOf(describe(&rec.Obj)), contentOf(describe(&back)); a != b {
				t.Fatalf("content changed on re-encoding:\n%s\n%s", a, b)
			}
		}
	})
}

// seal gives a DUMP payload body a valid footer.
func seal(body []byte) []byte {
	b := binary.LittleEndian.AppendUint16(append([]byte(nil), body...), Version)
	return binary.LittleEndian.AppendUint64(b, crc64.Checksum(b))
}

// FuzzParseDumpPayload feeds arbitrary RESTORE payloads: as given (mostly rejected by the checksum) and
// with a valid footer added, so that the value parser itself is explored.
func FuzzParseDumpPayload(f *testing.F) {
	for _, c := range realDumps {
		b, _ := hex.DecodeString(c.hex)
		f.Add(b)
	}
	for _, k := range roundTripKeys() {
		if p := DumpPayload(k.obj, Options{Compress: true}); len(p) < 4096 {
			f.Add(p)
		}
	}
	f.Add(append([]byte{typeStreamListpack2}, stream(typeStreamListpack2)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		check := func(p []byte) {
			obj, err := ParseDumpPayload(p, DefaultLimits())
			if err != nil {
				var fe *FormatError
				if !errors.Is(err, ErrBadPayload) && !errors.As(err, &fe) {
					t.Fatalf("error %v (%T)", err, err)
				}
				return
			}
			back, err := ParseDumpPayload(DumpPayload(&obj, Options{}), DefaultLimits())
			if err != nil {
				t.Fatalf("re-reading %s: %v", describe(&obj), err)
			}
			if a, b := contentOf(describe(&obj)), contentOf(describe(&back)); a != b {
				t.Fatalf("content changed on re-encoding:\n%s\n%s", a, b)
			}
		}
		check(data)
		body := data
		if len(data) >= dumpFooterLen && crc64.Checksum(data[:len(data)-8]) == binary.LittleEndian.Uint64(data[len(data)-8:]) {
			body = data[:len(data)-dumpFooterLen]
		}
		check(seal(body))
	})
}
