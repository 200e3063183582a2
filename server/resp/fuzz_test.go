package resp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"testing"

	"github.com/valkey-node/valkey-node/server/textargs"
)

// FuzzReader feeds arbitrary bytes to the parser.
//
//   - Random input never panics, and the result does not depend on how the input is split across reads:
//     parsing it in chunks of any size gives the same commands and the same error as parsing it whole.
//   - Valid encodings round-trip: the arguments derived from the input, encoded as a multibulk request
//     and (when they can be) as an inline request, parse back to exactly those arguments.
//
// Run it longer with: go test -run '^$' -fuzz FuzzReader -fuzztime 1m ./server/resp
func FuzzReader(f *testing.F) {
	for _, seed := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		"PING\r\n",
		`SET k "a b\x00\n" 'c\'d'` + "\r\n",
		"*0\r\n\r\n*-1\r\n",
		"*1\r\n$-1\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\n",
		"*abc\r\n",
		"*1\r\n+OK\r\n",
		"\"unbalanced\r\n",
		"*2\r\n$4\r\nECHO\r\n$20\r\nshort\r\n",
		"*1\r\n$99999999999999999999\r\n",
		"PING\r\n*1\r\n$4\r\nPING\r\nECHO x\n",
	} {
		f.Add([]byte(seed), uint8(1), false)
		f.Add([]byte(seed), uint8(5), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, chunk uint8, strict bool) {
		// Beyond the inline limit the result legitimately depends on the split: a newline that arrives
		// in the same read as 64 KB of text is accepted, one that arrives later is not (as in Valkey).
		if len(data) > inlineMax {
			return
		}
		whole, wholeErr := parseFuzz(bytes.NewReader(data), strict)
		n := int(chunk)%31 + 1
		split, splitErr := parseFuzz(&chunkReader{data: data, n: n}, strict)
		if fmt.Sprint(whole) != fmt.Sprint(split) || errText(wholeErr) != errText(splitErr) {
			t.Fatalf("input %q parsed whole: %q, %v\nin %d-byte chunks: %q, %v", data, whole, wholeErr, n, split, splitErr)
		}
		var pe *ProtocolError
		if wholeErr != nil && !errors.As(wholeErr, &pe) {
			t.Fatalf("input %q: error %v is not a protocol error", data, wholeErr)
		}

		args := fuzzArgs(data)
		if len(args) == 0 {
			return
		}
		want := renderArgs(args)
		var mb bytes.Buffer
		fmt.Fprintf(&mb, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&mb, "$%d\r\n%s\r\n", len(a), a)
		}
		got, err := parseFuzz(&chunkReader{data: mb.Bytes(), n: n}, false)
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("multibulk round trip of %s: %q, %v", want, got, err)
		}
		var il bytes.Buffer
		for i, a := range args {
			if i > 0 {
				il.WriteByte(' ')
			}
			il.WriteString(textargs.Quote(string(a)))
		}
		if il.Len() > 0 && il.Bytes()[0] == '*' {
			return // would be read as a multibulk header
		}
		il.WriteString("\r\n")
		got, err = parseFuzz(&chunkReader{data: il.Bytes(), n: n}, false)
		if err != nil || len(got) != 1 || got[0] != want {
			t.Fatalf("inline round trip of %s via %q: %q, %v", want, il.Bytes(), got, err)
		}
	})
}

// parseFuzz parses everything from rd with the limits a fresh connection has.
func parseFuzz(rd io.Reader, strict bool) ([]string, error) {
	r := NewReader(rd)
	r.Strict = strict
	r.MaxBulkLen = 512 << 20
	return parseAll(r)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// fuzzArgs cuts data into arguments at 0xFE bytes (any byte value can appear in an argument, and an
// argument can be empty).
func fuzzArgs(data []byte) [][]byte {
	if len(data) == 0 {
		return nil
	}
	return bytes.Split(data, []byte{0xFE})
}

// TestFuzzArgsQuoting documents why the inline round trip holds: Quote makes every argument one word.
func TestFuzzArgsQuoting(t *testing.T) {
	for _, a := range []string{"", " ", "\"", "'", "\\", "\r\n", "\xfe\x00", "plain"} {
		q := textargs.Quote(a)
		parts, err := textargs.Split([]byte(q))
		if err != nil || len(parts) != 1 || string(parts[0]) != a {
			t.Errorf("Quote(%s) = %s splits into %q, %v", strconv.Quote(a), q, parts, err)
		}
	}
}
