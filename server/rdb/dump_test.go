package rdb

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/server/keyspace"
	"github.com/valkey-node/valkey-node/server/rdb/crc64"
)

// realDumps are DUMP replies of Redis 7.0.15, with the value each holds. exact marks the ones whose
// encoding has a single byte form (no LZF), which DumpPayload must reproduce byte for byte.
var realDumps = []struct {
	name, hex, want string
	exact           bool
}{
	{"string", "000568656c6c6f0a006372df766534200a", `string/embstr:"hello"`, true},
	{"int", "00c139300a009d94ea2793fc08b9", `string/int:"12345"`, true},
	{"list", "1201020f0f00000003008161028162020301ff0a00dca1e67d50055048", `list/listpack: "a" "b" "3"`, true},
	{"intset", "0b0e02000000030000000100020003000a00a5025ce26d6e4d1b", `set/intset: "1" "2" "3"`, true},
	{"set", "0202016101620a00fe642125eb033d0d", `set/listpack: "a" "b"`, false},
	{"hash", "1012120000000400816602817602816e020701ff0a00b82adea8407ffaa8", `hash/listpack: "f"="v" "n"="7"`, true},
	{"zset lzf", "11c32040e20de200000006008161020101e0c878e0be000c01ca010181620283322e3504ff0a00f8dcee43e193008b",
		`zset/listpack: "a"@1 "` + strings.Repeat("x", 200) + `"@1 "b"@2.5`, false},
	{"string lzf", "00c30a40c802616261e0ba010161620a0024a6e84170c0c68c", `string/raw:"` + strings.Repeat("ab", 100) + `"`, false},
}

func TestParseRealDumps(t *testing.T) {
	for _, c := range realDumps {
		b, _ := hex.DecodeString(c.hex)
		obj, err := ParseDumpPayload(b, DefaultLimits())
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if got := describe(&obj); got != c.want {
			t.Errorf("%s: got %s, want %s", c.name, got, c.want)
		}
		if c.exact {
			if got := hex.EncodeToString(DumpPayload(&obj, Options{Compress: true})); got != c.hex {
				t.Errorf("%s: DumpPayload\n%s\nRedis 7.0 wrote\n%s", c.name, got, c.hex)
			}
		}
	}
}

func TestDumpPayloadRoundTrip(t *testing.T) {
	for _, k := range roundTripKeys() {
		for _, o := range []Options{{Compress: true}, {}} {
			p := DumpPayload(k.obj, o)
			if v := binary.LittleEndian.Uint16(p[len(p)-10:]); v != Version {
				t.Fatalf("%s: payload version %d", k.name, v)
			}
			obj, err := ParseDumpPayload(p, DefaultLimits())
			if err != nil {
				t.Fatalf("%s: %v", k.name, err)
			}
			if got, want := describe(&obj), describe(k.obj); got != want {
				t.Errorf("%s: got %.200s want %.200s", k.name, got, want)
			}
		}
	}
	if p := DumpPayload(&keyspace.Object{Kind: keyspace.KindStream}, Options{}); p != nil {
		t.Errorf("stream payload %x", p)
	}
}

func TestBadPayloads(t *testing.T) {
	good := DumpPayload(strObj("hello"), Options{})
	withVersion := func(v uint16) []byte {
		b := append([]byte(nil), good[:len(good)-10]...)
		b = binary.LittleEndian.AppendUint16(b, v)
		return binary.LittleEndian.AppendUint64(b, crc64.Checksum(b))
	}
	badCRC := append([]byte(nil), good...)
	badCRC[len(badCRC)-1] ^= 1
	for name, p := range map[string][]byte{
		"short":      good[:9],
		"empty":      nil,
		"bad crc":    badCRC,
		"version 12": withVersion(12),
		"version 80": withVersion(81),
	} {
		if _, err := ParseDumpPayload(p, DefaultLimits()); !errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if ErrBadPayload.Error() != "ERR DUMP payload version or checksum are wrong" {
		t.Errorf("message %q", ErrBadPayload)
	}
	// older versions are accepted
	for _, v := range []uint16{1, 9, 11} {
		if _, err := ParseDumpPayload(withVersion(v), DefaultLimits()); err != nil {
			t.Errorf("version %d: %v", v, err)
		}
	}
	// a payload with a good footer but a bad body is a format error
	seal := func(body []byte) []byte {
		b := binary.LittleEndian.AppendUint16(append([]byte(nil), body...), Version)
		return binary.LittleEndian.AppendUint64(b, crc64.Checksum(b))
	}
	for name, body := range map[string][]byte{
		"truncated":    {typeString, 5, 'a'},
		"unknown type": {0x42},
		"empty set":    {typeSet, 0},
		"stream":       append([]byte{typeStreamListpack2}, stream(typeStreamListpack2)...),
		"nan":          binary.LittleEndian.AppendUint64([]byte{typeZSet2, 1, 1, 'a'}, math.Float64bits(math.NaN())),
	} {
		_, err := ParseDumpPayload(seal(body), DefaultLimits())
		if err == nil || errors.Is(err, ErrBadPayload) {
			t.Errorf("%s: %v", name, err)
			continue
		}
		asFormatError(t, err)
	}
}
