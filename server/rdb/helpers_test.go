package rdb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/valkey-node/valkey-node/server/keyspace"
)

// describe renders a value canonically for comparisons: kind, the encoding name OBJECT ENCODING would
// give, and the contents (sets and hashes sorted, sorted sets in order with exact score bits).
func describe(o *keyspace.Object) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s:", o.Kind, encodingOf(o))
	switch o.Kind {
	case keyspace.KindString:
		fmt.Fprintf(&b, "%q", o.Str)
	case keyspace.KindList:
		l := o.Val.(*keyspace.List)
		l.Range(0, l.Len(), func(v []byte) bool {
			fmt.Fprintf(&b, " %q", v)
			return true
		})
	case keyspace.KindSet:
		var ms []string
		o.Val.(*keyspace.Set).Each(func(m []byte) bool {
			ms = append(ms, string(m))
			return true
		})
		sort.Strings(ms)
		for _, m := range ms {
			fmt.Fprintf(&b, " %q", m)
		}
	case keyspace.KindHash:
		var ps []string
		o.Val.(*keyspace.Hash).Range(func(f, v []byte) bool {
			ps = append(ps, fmt.Sprintf("%q=%q", f, v))
			return true
		})
		sort.Strings(ps)
		b.WriteString(" " + strings.Join(ps, " "))
	case keyspace.KindZSet:
		o.Val.(*keyspace.ZSet).Range(func(m string, s float64) bool {
			fmt.Fprintf(&b, " %q@%s", m, fmtScore(s))
			return true
		})
	}
	return b.String()
}

func fmtScore(s float64) string {
	if s == 0 && math.Signbit(s) {
		return "-0"
	}
	return strconv.FormatFloat(s, 'g', -1, 64)
}

// encodingOf is OBJECT ENCODING's answer, with the server's rule for strings (int when a canonical int64
// of at most 20 bytes, embstr up to 44 bytes, raw beyond).
func encodingOf(o *keyspace.Object) string {
	if o.Kind == keyspace.KindString {
		if o.Raw {
			return "raw"
		}
		if _, ok := keyspace.ParseInt(o.Str); ok && !o.NoIntEnc {
			return "int"
		}
		if len(o.Str) <= 44 {
			return "embstr"
		}
		return "raw"
	}
	return o.Val.(interface{ Encoding() string }).Encoding()
}

// Builders of values in the encodings commands would give them under DefaultLimits.

func strObj(s string) *keyspace.Object {
	return &keyspace.Object{Kind: keyspace.KindString, Str: []byte(s)}
}

func listObj(fill int, elems ...string) *keyspace.Object {
	l := keyspace.NewList()
	total := 0
	for _, e := range elems {
		total += len(e)
	}
	l.PrepareAppend(fill, total, len(elems))
	for _, e := range elems {
		l.PushBack([]byte(e))
	}
	return &keyspace.Object{Kind: keyspace.KindList, Val: l}
}

func setObj(lim keyspace.SetLimits, members ...string) *keyspace.Object {
	s := keyspace.NewSetFor([]byte(members[0]), len(members), lim)
	for _, m := range members {
		s.Add([]byte(m), lim)
	}
	return &keyspace.Object{Kind: keyspace.KindSet, Val: s}
}

func hashObj(lim keyspace.HashLimits, pairs ...string) *keyspace.Object {
	h := keyspace.NewHash()
	h.Prepare(len(pairs)/2, lim)
	for i := 0; i < len(pairs); i += 2 {
		h.Set([]byte(pairs[i]), []byte(pairs[i+1]), lim)
	}
	return &keyspace.Object{Kind: keyspace.KindHash, Val: h}
}

func zsetObj(lim keyspace.ZLimits, entries ...keyspace.ZEntry) *keyspace.Object {
	z := keyspace.NewZSet(false)
	for _, e := range entries {
		z.Add([]byte(e.Member), e.Score, 0, lim)
	}
	return &keyspace.Object{Kind: keyspace.KindZSet, Val: z}
}

func seq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

func pairsOf(n int, valLen int) []string {
	out := make([]string, 0, 2*n)
	for i := 0; i < n; i++ {
		out = append(out, "field:"+strconv.Itoa(i), strings.Repeat("v", valLen)+strconv.Itoa(i))
	}
	return out
}

func zentries(n int, member func(i int) string, score func(i int) float64) []keyspace.ZEntry {
	out := make([]keyspace.ZEntry, n)
	for i := range out {
		out[i] = keyspace.ZEntry{Member: member(i), Score: score(i)}
	}
	return out
}

// testKey is one key of a test file.
type testKey struct {
	db     int
	key    string
	obj    *keyspace.Object
	expire int64
}

// encodeFile writes keys (grouped by db, in order) as a complete RDB file.
func encodeFile(t testing.TB, o Options, keys []testKey) []byte {
	t.Helper()
	var buf bytes.Buffer
	e := NewEncoder(&buf, o)
	must(t, e.Header())
	must(t, e.Aux("redis-ver", "7.0.15"))
	must(t, e.Aux("redis-bits", "64"))
	db := -1
	for i, k := range keys {
		if k.db != db {
			db = k.db
			n, x := 0, 0
			for _, k2 := range keys[i:] {
				if k2.db == db {
					n++
					if k2.expire >= 0 {
						x++
					}
				}
			}
			must(t, e.SelectDB(db, uint64(n), uint64(x)))
		}
		must(t, e.Key(k.key, k.obj, k.expire))
	}
	must(t, e.Finish())
	if e.Written() != int64(buf.Len()) {
		t.Fatalf("Written() = %d, wrote %d bytes", e.Written(), buf.Len())
	}
	return buf.Bytes()
}

// decodeFile reads a whole file and returns its keys and aux fields.
func decodeFile(t testing.TB, data []byte, lim Limits) ([]testKey, map[string]string) {
	t.Helper()
	keys, aux, err := decodeAll(data, lim)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return keys, aux
}

func decodeAll(data []byte, lim Limits) ([]testKey, map[string]string, error) {
	d := NewDecoder(bytes.NewReader(data), lim)
	if _, err := d.Header(); err != nil {
		return nil, nil, err
	}
	aux := map[string]string{}
	var keys []testKey
	db := 0
	for {
		var rec Record
		err := d.Next(&rec)
		if err == io.EOF {
			return keys, aux, nil
		}
		if err != nil {
			return keys, aux, err
		}
		switch rec.Kind {
		case RecAux:
			aux[rec.Aux[0]] = rec.Aux[1]
		case RecSelectDB:
			db = rec.DB
		case RecKey:
			obj := rec.Obj
			keys = append(keys, testKey{db: db, key: string(rec.Key), obj: &obj, expire: rec.ExpireMs})
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// asFormatError checks that err is a *FormatError and returns it.
func asFormatError(t testing.TB, err error) *FormatError {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T) is not a *FormatError", err, err)
	}
	return fe
}
