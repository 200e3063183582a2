package rdb

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// TestRealRedisFile decodes a file written by Redis 7.0.15 (see testdata/README.md) record by record.
func TestRealRedisFile(t *testing.T) {
	data, err := os.ReadFile("testdata/redis-7.0.15.rdb")
	must(t, err)
	d := NewDecoder(bytes.NewReader(data), DefaultLimits())
	ver, err := d.Header()
	if err != nil || ver != 10 {
		t.Fatalf("header: %d, %v", ver, err)
	}
	var got []string
	for {
		var rec Record
		err := d.Next(&rec)
		if err == io.EOF {
			break
		}
		if err != nil {
			got = append(got, "error: "+asFormatError(t, err).Msg)
			continue
		}
		switch rec.Kind {
		case RecAux:
			if rec.Aux[0] == "ctime" || rec.Aux[0] == "used-mem" {
				rec.Aux[1] = "*"
			}
			got = append(got, "aux "+rec.Aux[0]+"="+rec.Aux[1])
		case RecFunction:
			got = append(got, "function "+strings.SplitN(string(rec.Code), "\n", 2)[0])
		case RecSelectDB:
			got = append(got, "select", string(rune('0'+rec.DB)))
		case RecResizeDB:
			got = append(got, "resize")
		case RecKey:
			line := string(rec.Key) + " " + describe(&rec.Obj)
			if rec.ExpireMs >= 0 {
				line += " expire"
			}
			if rec.Freq < 0 || rec.Idle >= 0 {
				line += " bad-lfu"
			}
			got = append(got, line)
		}
	}
	want := []string{
		"aux redis-ver=7.0.15", "aux redis-bits=64", "aux ctime=*", "aux used-mem=*", "aux aof-base=0",
		"function #!lua name=lib",
		"select", "0", "resize",
		`hash hash/listpack: "f1"="v1" "f2"="2"`,
		`str string/embstr:"hello" expire`,
		`long string/raw:"` + strings.Repeat("lzf ", 50) + `"`,
		`list list/listpack: "a" "b" "c" "1" "2" "3"`,
		`iset set/intset: "1" "2" "3"`,
		`num string/int:"42"`,
		`sset set/listpack: "x" "y" "z"`,
		`zset zset/listpack: "a"@1 "b"@2.5`,
		"error: stream value for key 'stream' is not supported yet",
		"select", "2", "resize",
		`other string/embstr:"db2"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("decoded\n%s\n\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
