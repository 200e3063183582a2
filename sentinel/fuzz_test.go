package sentinel

import (
	"bufio"
	"runtime"
	"strings"
	"testing"
)

// The sentinel reads what monitored nodes and other sentinels send it: replies, INFO text and hello
// messages. None of it may crash the sentinel or make it allocate what the input does not hold.

func FuzzReadReply(f *testing.F) {
	for _, seed := range []string{"+PONG\r\n", "-LOADING x\r\n", ":12\r\n", "$3\r\nabc\r\n", "$-1\r\n",
		"*3\r\n:1\r\n$1\r\n*\r\n:0\r\n", "%1\r\n+a\r\n+b\r\n", ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nm\r\n",
		"|1\r\n+a\r\n+b\r\n+OK\r\n", "$536870912\r\nab", "*16777216\r\n", "=8\r\ntxt:abcd\r\n", "#t\r\n", "_\r\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rd := bufio.NewReader(strings.NewReader(in))
		for i := 0; i < 8; i++ {
			r, err := readReply(rd)
			if err != nil {
				return
			}
			_ = r.String()
			_ = r.text()
		}
	})
}

func FuzzParseHello(f *testing.F) {
	f.Add("127.0.0.1,26379," + strings.Repeat("a", 40) + ",3,mymaster,127.0.0.1,6379,2")
	f.Add("::1,26379," + strings.Repeat("b", 40) + ",18446744073709551615,m,::1,0,0")
	f.Add(",,,,,,,")
	f.Fuzz(func(t *testing.T, in string) {
		h, err := parseHello(in)
		if err != nil {
			return
		}
		// what parses must render back to something that parses the same
		again, err := parseHello(h.format())
		if err != nil || again != h {
			t.Fatalf("%q parsed as %+v, whose rendering %q parses as %+v (%v)", in, h, h.format(), again, err)
		}
	})
}

func FuzzParseInfo(f *testing.F) {
	f.Add("# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=6380,state=online,offset=10,lag=0\r\n")
	f.Add("run_id:" + strings.Repeat("c", 40) + "\r\nrole:slave\r\nmaster_host:::1\r\nmaster_port:x\r\nslave_priority:-1\r\n")
	f.Add("slave0:ip=,port=99999999999999999999\r\nmaster_link_down_since_seconds:-1\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		_ = parseInfo(in)
	})
}

// TestClaimedBulkLengthAllocatesLittle: a peer that announces a 512 MB bulk string and sends two bytes
// costs the sentinel kilobytes, not the announced size.
func TestClaimedBulkLengthAllocatesLittle(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := readReply(bufio.NewReader(strings.NewReader("$536870911\r\nab")))
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("a truncated bulk string was accepted")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("reading it allocated %d bytes", grew)
	}
}
