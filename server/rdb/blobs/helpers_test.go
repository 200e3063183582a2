package blobs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"testing"
)

// elem is one decoded element in a form tests can compare.
type elem struct {
	s     string
	n     int64
	isInt bool
}

func (e elem) String() string {
	if e.isInt {
		return "int(" + strconv.FormatInt(e.n, 10) + ")"
	}
	return strconv.Quote(e.s)
}

func str(s string) elem { return elem{s: s} }
func num(n int64) elem  { return elem{n: n, isInt: true} }

type iterFunc func(b []byte, fn func(s []byte, n int64, isInt bool) error) error

// collect runs an iterator and records what it reports, checking the
// isInt/s contract on the way.
func collect(t *testing.T, it iterFunc, b []byte) ([]elem, error) {
	t.Helper()
	var out []elem
	err := it(b, func(s []byte, n int64, isInt bool) error {
		if isInt && s != nil {
			t.Errorf("integer element %d came with a non-nil s", n)
		}
		if !isInt && s == nil {
			t.Errorf("string element came with a nil s")
		}
		out = append(out, elem{s: string(s), n: n, isInt: isInt})
		return nil
	})
	return out, err
}

func equalElems(a, b []elem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func mustCorrupt(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("corrupt input accepted")
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %v does not wrap ErrCorrupt", err)
	}
}

// cat concatenates byte slices; hand-built vectors read better as parts.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func u16(v uint16) []byte { return binary.LittleEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

// listpackOf frames raw entries (each already including its backlen) with a
// header whose total is correct and the given count field.
func listpackOf(count uint16, entries ...[]byte) []byte {
	body := cat(entries...)
	return cat(u32(uint32(6+len(body)+1)), u16(count), body, []byte{0xFF})
}
