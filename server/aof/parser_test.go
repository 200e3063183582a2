package aof

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// parseAll runs the command reader over data and reports the commands, the offset where it stopped, and
// the error (nil at a clean end).
func parseAll(data []byte) (cmds []string, off int64, annotation bool, err error) {
	r := newCmdReader(bufio.NewReaderSize(bytes.NewReader(data), maxLine), 0)
	for {
		start := r.off
		argv, ann, err := r.next()
		if err == io.EOF {
			return cmds, r.off, false, nil
		}
		if err != nil {
			return cmds, start, ann, err
		}
		parts := make([]string, len(argv))
		for i, a := range argv {
			parts[i] = string(a)
		}
		cmds = append(cmds, strings.Join(parts, " "))
	}
}

func TestCmdReader(t *testing.T) {
	set := enc("SET", "k", "v")
	bin := enc("SET", "bin\r\nary", "")
	for _, tc := range []struct {
		name   string
		in     string
		cmds   []string
		stopAt int64 // offset of the failing command
		err    string
	}{
		{"empty", "", nil, 0, ""},
		{"one", string(set), []string{"SET k v"}, 0, ""},
		{"binary and empty args", string(bin), []string{"SET bin\r\nary "}, 0, ""},
		{"annotations", "#TS:1700000000\r\n" + string(set) + "#TS:1700000001\r\n" + string(set), []string{"SET k v", "SET k v"}, 0, ""},
		{"LF only headers", "*1\n$4\nPING\r\n", []string{"PING"}, 0, ""},
		{"cut in header", string(set) + "*3\r", []string{"SET k v"}, int64(len(set)), "truncated"},
		{"cut after star", string(set) + "*", []string{"SET k v"}, int64(len(set)), "truncated"},
		{"cut in bulk", string(set) + string(set[:len(set)-3]), []string{"SET k v"}, int64(len(set)), "truncated"},
		{"cut before CRLF", string(set[:len(set)-2]), nil, 0, "truncated"},
		{"missing args", "*3\r\n$3\r\nSET\r\n", nil, 0, "truncated"},
		{"huge bulk cut", "*1\r\n$4000000000\r\nabc", nil, 0, "truncated"},
		{"cut annotation", string(set) + "#TS:17", []string{"SET k v"}, int64(len(set)), "annotation"},
		{"not a multibulk", string(set) + "SET k v\r\n", []string{"SET k v"}, int64(len(set)), "format"},
		{"zero args", "*0\r\n", nil, 0, "format"},
		{"bad count", "*x\r\n", nil, 0, "format"},
		{"bad bulk prefix", "*1\r\n+OK\r\n", nil, 0, "format"},
		{"negative bulk", "*1\r\n$-1\r\n", nil, 0, "format"},
		{"bulk too long for CRLF", "*1\r\n$2\r\nabc\r\n", nil, 0, "format"},
		{"empty line", "\r\n", nil, 0, "format"},
		{"line too long", "*1\r\n$" + strings.Repeat("1", maxLine+10) + "\r\n", nil, 0, "format"},
	} {
		cmds, off, ann, err := parseAll([]byte(tc.in))
		if !equalStrings(cmds, tc.cmds) {
			t.Errorf("%s: commands %q, want %q", tc.name, cmds, tc.cmds)
		}
		var fe *formatError
		switch tc.err {
		case "":
			if err != nil {
				t.Errorf("%s: unexpected error %v", tc.name, err)
			}
			continue
		case "truncated":
			if !errors.Is(err, errTruncated) || ann {
				t.Errorf("%s: err %v (annotation %v), want truncated", tc.name, err, ann)
			}
		case "annotation":
			if !errors.Is(err, errTruncated) || !ann {
				t.Errorf("%s: err %v (annotation %v), want a truncated annotation", tc.name, err, ann)
			}
		case "format":
			if !errors.As(err, &fe) {
				t.Errorf("%s: err %v, want a format error", tc.name, err)
			}
		}
		if off != tc.stopAt {
			t.Errorf("%s: stopped at %d, want %d", tc.name, off, tc.stopAt)
		}
	}
}

// FuzzCmdReader: the reader never panics and stays inside the input; the commands it accepts, encoded
// again, parse back to the same commands; and every proper prefix of that encoding parses to a prefix of
// the commands, stopping with a truncation exactly at a command boundary (what aof-load-truncated relies
// on).
func FuzzCmdReader(f *testing.F) {
	f.Add(encAll([]string{"SET", "k", "v"}, []string{"MULTI"}, []string{"INCR", "n"}, []string{"EXEC"}))
	f.Add([]byte("#TS:1\r\n*1\r\n$4\r\nPING\r\n"))
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1"))
	f.Add([]byte("*1\r\n$-5\r\n"))
	f.Add([]byte("*99999999\r\n$9999999999\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := newCmdReader(bufio.NewReaderSize(bytes.NewReader(data), maxLine), 0)
		var cmds [][]string
		for {
			start := r.off
			argv, _, err := r.next()
			if r.off < start || r.off > int64(len(data)) {
				t.Fatalf("offset %d out of range (start %d, len %d)", r.off, start, len(data))
			}
			if err != nil {
				var fe *formatError
				if err != io.EOF && !errors.Is(err, errTruncated) && !errors.As(err, &fe) {
					t.Fatalf("unexpected error type %T: %v", err, err)
				}
				break
			}
			args := make([]string, len(argv))
			for i, a := range argv {
				args[i] = string(a)
			}
			cmds = append(cmds, args)
		}
		canon := encAll(cmds...)
		var want []string
		var bounds []int64
		pos := int64(0)
		for _, c := range cmds {
			want = append(want, strings.Join(c, " "))
			pos += int64(len(enc(c...)))
			bounds = append(bounds, pos)
		}
		got, off, _, err := parseAll(canon)
		if err != nil || !equalStrings(got, want) || off != int64(len(canon)) {
			t.Fatalf("re-encoded stream: %q (off %d, err %v), want %q", got, off, err, want)
		}
		if len(canon) > 2048 {
			return
		}
		for cut := 0; cut < len(canon); cut++ {
			got, off, _, err := parseAll(canon[:cut])
			n := len(got)
			if !equalStrings(got, want[:n]) {
				t.Fatalf("prefix %d: commands %q are not a prefix of %q", cut, got, want)
			}
			boundary := int64(0)
			if n > 0 {
				boundary = bounds[n-1]
			}
			if off != boundary {
				t.Fatalf("prefix %d: stopped at %d, want the command boundary %d", cut, off, boundary)
			}
			if int64(cut) != boundary && !errors.Is(err, errTruncated) {
				t.Fatalf("prefix %d: err %v, want truncated", cut, err)
			}
		}
	})
}
