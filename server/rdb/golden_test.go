package rdb

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/rdb/crc64"
)

func TestLengthEncodingVectors(t *testing.T) {
	cases := []struct {
		n    uint64
		want string
	}{
		{0, "00"},
		{1, "01"},
		{63, "3f"},
		{64, "4040"},
		{300, "412c"},
		{16383, "7fff"},
		{16384, "8000004000"},
		{0xFFFFFFFF, "80ffffffff"},
		{1 << 32, "810000000100000000"},
		{math.MaxUint64, "81ffffffffffffffff"},
	}
	for _, c := range cases {
		got := hex.EncodeToString(appendLen(nil, c.n))
		if got != c.want {
			t.Errorf("length %d: encoded %s, want %s", c.n, got, c.want)
		}
		d := NewDecoder(bytes.NewReader(appendLen(nil, c.n)), DefaultLimits())
		n, err := d.readLen()
		if err != nil || n != c.n {
			t.Errorf("length %s: decoded %d, %v; want %d", c.want, n, err, c.n)
		}
	}
	// non-minimal forms other writers may use decode too
	for hexIn, want := range map[string]uint64{"8000000005": 5, "810000000000000005": 5, "4005": 5} {
		b, _ := hex.DecodeString(hexIn)
		d := NewDecoder(bytes.NewReader(b), DefaultLimits())
		if n, err := d.readLen(); err != nil || n != want {
			t.Errorf("length %s: decoded %d, %v; want %d", hexIn, n, err, want)
		}
	}
	// 10xxxxxx other than 0x80 and 0x81 is no length encoding
	d := NewDecoder(bytes.NewReader([]byte{0x82, 0, 0, 0, 0}), DefaultLimits())
	if _, err := d.readLen(); err == nil {
		t.Error("length byte 0x82 accepted")
	}
}

func TestStringEncodingVectors(t *testing.T) {
	cases := []struct {
		s    string
		want string
	}{
		{"", "00"},
		{"a", "0161"},
		{"0", "c000"},
		{"12", "c00c"},
		{"-1", "c0ff"},
		{"127", "c07f"},
		{"-128", "c080"},
		{"128", "c18000"},
		{"-300", "c1d4fe"},
		{"32768", "c200800000"},
		{"-2147483648", "c200000080"},
		{"2147483647", "c2ffffff7f"},
		{"2147483648", "0a32313437343833363438"}, // beyond 32 bits: text
		{"007", "03303037"},
		{"-0", "022d30"},
		{"+5", "022b35"},
		{" 5", "022035"},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		e := NewEncoder(&buf, Options{})
		e.writeString([]byte(c.s))
		e.flush()
		if got := hex.EncodeToString(buf.Bytes()); got != c.want {
			t.Errorf("string %q: encoded %s, want %s", c.s, got, c.want)
		}
		d := NewDecoder(bytes.NewReader(buf.Bytes()), DefaultLimits())
		if got, err := d.readString(nil); err != nil || string(got) != c.s {
			t.Errorf("string %s: decoded %q, %v; want %q", c.want, got, err, c.s)
		}
	}
}

func TestLZFStringVector(t *testing.T) {
	s := strings.Repeat("a", 30)
	var buf bytes.Buffer
	e := NewEncoder(&buf, Options{Compress: true})
	e.writeString([]byte(s))
	e.flush()
	b := buf.Bytes()
	// 0xC3, compressed length, uncompressed length (30), data
	if b[0] != 0xC3 || b[2] != 30 || int(b[1]) != len(b)-3 {
		t.Fatalf("LZF string encoded as %x", b)
	}
	d := NewDecoder(bytes.NewReader(b), DefaultLimits())
	if got, err := d.readString(nil); err != nil || string(got) != s {
		t.Fatalf("decoded %q, %v", got, err)
	}
	// 20 bytes are never compressed (Redis's threshold)
	buf.Reset()
	e = NewEncoder(&buf, Options{Compress: true})
	e.writeString([]byte(strings.Repeat("a", 20)))
	e.flush()
	if buf.Bytes()[0] != 20 {
		t.Fatalf("20-byte string encoded as %x", buf.Bytes())
	}
}

// TestFileVector is a whole small file, byte for byte.
func TestFileVector(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf, Options{Checksum: true})
	must(t, e.Header())
	must(t, e.Aux("redis-ver", "7.0.15"))
	must(t, e.SelectDB(0, 2, 1))
	must(t, e.Key("k", strObj("v"), -1))
	must(t, e.Key("n", strObj("5"), 0x0102030405060708))
	must(t, e.Finish())
	body := "REDIS0010" +
		"\xfa\x09redis-ver\x067.0.15" +
		"\xfe\x00\xfb\x02\x01" +
		"\x00\x01k\x01v" +
		"\xfc\x08\x07\x06\x05\x04\x03\x02\x01\x00\x01n\xc0\x05" +
		"\xff"
	want := binary.LittleEndian.AppendUint64([]byte(body), crc64.Checksum([]byte(body)))
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("file\n%q\nwant\n%q", buf.Bytes(), want)
	}
	// without rdbchecksum the trailer is 0
	buf.Reset()
	e = NewEncoder(&buf, Options{})
	must(t, e.Header())
	must(t, e.Finish())
	if got := buf.String(); got != "REDIS0010\xff\x00\x00\x00\x00\x00\x00\x00\x00" {
		t.Fatalf("empty file without checksum: %q", got)
	}
}

func TestHeaderVersions(t *testing.T) {
	for _, c := range []struct {
		magic string
		ver   int
		ok    bool
	}{
		{"REDIS0001", 1, true}, {"REDIS0009", 9, true}, {"REDIS0010", 10, true}, {"REDIS0011", 11, true},
		{"VALKEY080", 80, true}, {"REDIS0012", 0, false}, {"REDIS0000", 0, false}, {"REDIX0010", 0, false},
		{"VALKEY081", 0, false}, {"REDIS00a1", 0, false}, {"REDIS", 0, false},
	} {
		d := NewDecoder(strings.NewReader(c.magic), DefaultLimits())
		v, err := d.Header()
		if c.ok != (err == nil) || (c.ok && v != c.ver) {
			t.Errorf("%s: version %d, %v", c.magic, v, err)
		}
		if err != nil {
			asFormatError(t, err)
		}
	}
	d := NewDecoder(strings.NewReader("REDIS0012"), DefaultLimits())
	if _, err := d.Header(); err == nil || !strings.Contains(err.Error(), "Can't handle RDB format version 12") {
		t.Errorf("version 12: %v", err)
	}
}

// TestOldOpcodes covers what only older writers emit: EXPIRETIME in seconds, IDLE and FREQ, a version
// without a checksum, and FUNCTION2 records.
func TestOldOpcodes(t *testing.T) {
	b := []byte("REDIS0004")
	b = append(b, opExpireSec)
	b = binary.LittleEndian.AppendUint32(b, 1_700_000_000)
	b = append(b, typeString, 1, 'a', 1, 'x')
	b = append(b, opIdle, 0x40, 100, opFreq, 7, typeString, 1, 'b', 1, 'y')
	b = append(b, opFunction2, 5, 'c', 'o', 'd', 'e', '!')
	b = append(b, opEOF) // version 4: no checksum follows
	d := NewDecoder(bytes.NewReader(b), DefaultLimits())
	var rec Record
	must(t, d.Next(&rec))
	if rec.Kind != RecKey || string(rec.Key) != "a" || rec.ExpireMs != 1_700_000_000_000 || rec.Idle != -1 || rec.Freq != -1 {
		t.Fatalf("first record %+v", rec)
	}
	must(t, d.Next(&rec))
	if string(rec.Key) != "b" || rec.ExpireMs != -1 || rec.Idle != 100 || rec.Freq != 7 {
		t.Fatalf("second record %+v", rec)
	}
	must(t, d.Next(&rec))
	if rec.Kind != RecFunction || string(rec.Code) != "code!" {
		t.Fatalf("third record %+v", rec)
	}
	if err := d.Next(&rec); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if err := d.Next(&rec); err != io.EOF {
		t.Fatalf("after the end: %v", err)
	}
}

func TestResizeAndSlotInfo(t *testing.T) {
	b := []byte("REDIS0011")
	b = append(b, opSelectDB, 3, opResizeDB, 0x41, 0x00, 2, opSlotInfo, 5, 1, 0, typeString, 1, 'k', 1, 'v', opEOF)
	b = binary.LittleEndian.AppendUint64(b, crc64.Checksum(b))
	d := NewDecoder(bytes.NewReader(b), DefaultLimits())
	var rec Record
	must(t, d.Next(&rec))
	if rec.Kind != RecSelectDB || rec.DB != 3 {
		t.Fatalf("%+v", rec)
	}
	must(t, d.Next(&rec))
	if rec.Kind != RecResizeDB || rec.DBSize != 256 || rec.ExpiresSize != 2 {
		t.Fatalf("%+v", rec)
	}
	must(t, d.Next(&rec))
	if rec.Kind != RecKey || string(rec.Key) != "k" {
		t.Fatalf("%+v", rec)
	}
	if err := d.Next(&rec); err != io.EOF {
		t.Fatal(err)
	}
}

func TestUnsupportedRecords(t *testing.T) {
	for _, c := range []struct {
		name, body, msg string
	}{
		{"module type", "\x07\x03mod\x00", "module value for key 'mod'"},
		{"module pre-GA", "\x06\x03old\x00", "module value for key 'old'"},
		{"module aux", "\xf7\x00", "module auxiliary data"},
		{"function pre-GA", "\xf6\x00", "pre-release function format"},
		{"unknown opcode", "\xf0", "unknown RDB record type 240"},
		{"unknown type", "\x08\x01k", "unknown RDB record type 8"},
		{"bad string encoding", "\x00\xc4", "unknown string encoding 4"},
	} {
		d := NewDecoder(strings.NewReader("REDIS0010"+c.body), DefaultLimits())
		var rec Record
		err := d.Next(&rec)
		fe := asFormatError(t, err)
		if !strings.Contains(fe.Msg, c.msg) {
			t.Errorf("%s: %v, want %q", c.name, err, c.msg)
		}
		if err2 := d.Next(&rec); err2 != err {
			t.Errorf("%s: error not sticky: %v", c.name, err2)
		}
	}
}

func TestEmptyCollectionsAreSkipped(t *testing.T) {
	b := []byte("REDIS0010")
	b = append(b, typeList, 1, 'l', 0, typeSet, 1, 's', 0, typeHash, 1, 'h', 0, typeZSet2, 1, 'z', 0)
	b = append(b, typeListQuicklist2, 1, 'q', 0)
	b = append(b, typeString, 1, 'k', 1, 'v', opEOF)
	b = binary.LittleEndian.AppendUint64(b, 0)
	keys, _ := decodeFile(t, b, DefaultLimits())
	if len(keys) != 1 || keys[0].key != "k" {
		t.Fatalf("keys %v", keys)
	}
}

func TestDuplicatesRejected(t *testing.T) {
	for name, body := range map[string][]byte{
		"set":  {typeSet, 1, 's', 2, 1, 'a', 1, 'a'},
		"hash": {typeHash, 1, 'h', 2, 1, 'f', 1, 'v', 1, 'f', 1, 'w'},
		"zset": append(append([]byte{typeZSet2, 1, 'z', 2, 1, 'm'}, make([]byte, 8)...), append([]byte{1, 'm'}, make([]byte, 8)...)...),
	} {
		d := NewDecoder(bytes.NewReader(append([]byte("REDIS0010"), body...)), DefaultLimits())
		var rec Record
		if err := d.Next(&rec); err == nil || !strings.Contains(err.Error(), "duplicate") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestZSetNaNRejected(t *testing.T) {
	body := []byte{typeZSet2, 1, 'z', 1, 1, 'm'}
	body = binary.LittleEndian.AppendUint64(body, math.Float64bits(math.NaN()))
	d := NewDecoder(bytes.NewReader(append([]byte("REDIS0010"), body...)), DefaultLimits())
	var rec Record
	if err := d.Next(&rec); err == nil || !strings.Contains(err.Error(), "NAN") {
		t.Fatalf("NaN score: %v", err)
	}
	// the text form: 253 is NaN
	d = NewDecoder(bytes.NewReader(append([]byte("REDIS0003"), typeZSet, 1, 'z', 1, 1, 'm', 253)), DefaultLimits())
	if err := d.Next(&rec); err == nil || !strings.Contains(err.Error(), "NAN") {
		t.Fatalf("NaN text score: %v", err)
	}
}

// TestTextScores reads the old ZSET type with its text doubles, infinities included.
func TestTextScores(t *testing.T) {
	b := []byte("REDIS0006")
	b = append(b, typeZSet, 1, 'z', 4, 1, 'a', 3, '1', '.', '5', 1, 'b', 254, 1, 'c', 255, 1, 'd', 4, '-', '1', 'e', '3')
	b = append(b, opEOF)
	b = binary.LittleEndian.AppendUint64(b, crc64.Checksum(b))
	keys, _ := decodeFile(t, b, DefaultLimits())
	want := `zset/listpack: "c"@-Inf "d"@-1000 "a"@1.5 "b"@+Inf`
	if got := describe(keys[0].obj); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// describe must notice encodings: a guard that the round-trip tests compare them.
func TestDescribeIncludesEncoding(t *testing.T) {
	lim := DefaultLimits()
	a := describe(hashObj(lim.Hash, "f", "v"))
	h := hashObj(lim.Hash, "f", "v")
	h.Val.(*keyspace.Hash).ToHashtable()
	if a == describe(h) {
		t.Fatal("describe ignores the encoding")
	}
}
