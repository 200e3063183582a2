package replication

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/valkey-node/valkey-node/server/resp"
)

// runTestStream feeds input to the stream loop in reads of readSize bytes and returns the host and the
// error the loop ended with (the input's end is a lost connection).
func runTestStream(t *testing.T, input []byte, readSize int, base int64) (*linkTestHost, *Link, error) {
	t.Helper()
	var chunks [][]byte
	for rest := input; len(rest) > 0; {
		n := min(readSize, len(rest))
		chunks = append(chunks, bytes.Clone(rest[:n]))
		rest = rest[n:]
	}
	h := &linkTestHost{offset: base}
	l := NewLink(LinkConfig{}, h, linkNopLogger())
	l.ackEvery = time.Hour
	err := l.stream(newLinkConn(l, &linkChunkConn{chunks: chunks}))
	return h, l, err
}

// The stream is split into whole commands, whatever the reads: each Apply gets complete commands and
// exactly their bytes, binary and empty arguments and commands larger than the buffer included.
func TestLinkStreamSplitsCommands(t *testing.T) {
	big := strings.Repeat("x", linkBufSize+17)
	want := [][]string{
		{"SELECT", "0"},
		{"SET", "k", "v\r\n\x00bin"},
		{"SET", "empty", ""},
		{"RPUSH", "big", big, "tail"},
		{"PING"},
		{"MULTI"},
		{"INCR", "n"},
		{"EXEC"},
	}
	var input []byte
	for _, c := range want {
		input = resp.AppendCommand(input, c...)
	}
	for _, readSize := range []int{1, 3, 64, 4096, len(input)} {
		if readSize == 1 && testing.Short() {
			continue
		}
		h, l, err := runTestStream(t, input, readSize, 100)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("reads of %d: the stream ended with %v, want a lost connection", readSize, err)
		}
		_, cmds, raw, _, _ := h.state()
		if len(cmds) != len(want) {
			t.Fatalf("reads of %d: %d commands applied, want %d", readSize, len(cmds), len(want))
		}
		for i := range want {
			if strings.Join(cmds[i], "|") != strings.Join(want[i], "|") {
				t.Fatalf("reads of %d: command %d = %.60q, want %.60q", readSize, i, cmds[i], want[i])
			}
		}
		if !bytes.Equal(raw, input) {
			t.Fatalf("reads of %d: the raw bytes differ from the stream", readSize)
		}
		// Each batch's raw bytes are exactly its commands: parsed alone they give as many commands.
		h.mu.Lock()
		for i, r := range h.raws {
			var p linkParser
			n := 0
			for pos := 0; pos < len(r); n++ {
				args, end, err := p.next(r, pos)
				if err != nil || end < 0 || args == nil {
					t.Fatalf("reads of %d: batch %d does not end on a command boundary", readSize, i)
				}
				pos = end
			}
			if n != h.sizes[i] {
				t.Fatalf("reads of %d: batch %d has %d commands in its raw bytes, %d applied", readSize, i, n, h.sizes[i])
			}
		}
		h.mu.Unlock()
		if got := l.Status().ReadReplOffset; got != 100+int64(len(input)) {
			t.Errorf("reads of %d: read offset %d, want %d", readSize, got, 100+len(input))
		}
	}
}

// Empty lines and empty multibulks run nothing; like Valkey, their bytes count in the offset with the
// next command, so ones at the end of what has arrived are read but not yet applied.
func TestLinkStreamEmptyLines(t *testing.T) {
	ping := linkBulk("PING")
	input := "\n" + ping + "\r\n*0\r\n" + ping + "\n\n"
	h, l, _ := runTestStream(t, []byte(input), len(input), 0)
	_, cmds, raw, _, _ := h.state()
	if len(cmds) != 2 || string(raw) != input[:len(input)-2] || len(h.raws) != 1 {
		t.Fatalf("applied %q with raw %q", cmds, raw)
	}
	if h.Offset() != int64(len(input)-2) || l.Status().ReadReplOffset != int64(len(input)) {
		t.Fatalf("offset %d read offset %d", h.Offset(), l.Status().ReadReplOffset)
	}
}

// What a primary never sends is a desync: the commands before it are applied, then the link drops.
func TestLinkStreamProtocolErrors(t *testing.T) {
	ping := linkBulk("PING")
	for _, bad := range []string{
		"SET k v\r\n",
		"*1\r\n+OK\r\n",
		"*1\r\n$x\r\n",
		"*1\r\n$-3\r\n",
		"*1\r\n$3\r\nabcXY",
		"*1\n$3\r\nabc\r\n",
		"*zz\r\n",
		"$3\r\nabc\r\n",
	} {
		h, _, err := runTestStream(t, []byte(ping+bad), 4096, 0)
		if !errors.Is(err, errLinkDesync) {
			t.Errorf("%q: the stream ended with %v, want a desync", bad, err)
		}
		if _, cmds, _, _, _ := h.state(); len(cmds) != 1 {
			t.Errorf("%q: %d commands applied before it, want 1", bad, len(cmds))
		}
	}
}

// linkSyncedPeer starts a link, runs a full sync at offset off and returns the primary's side of the
// connection once the replica has acknowledged it.
func linkSyncedPeer(t *testing.T, p *linkFakePrimary, off int64) *linkPeer {
	t.Helper()
	c := p.accept()
	c.handshake()
	c.send("+FULLRESYNC " + linkTestID('a') + " " + strconv.FormatInt(off, 10) + "\r\n$3\r\nRDB")
	c.expect("REPLCONF", "ACK", strconv.FormatInt(off, 10))
	return c
}

// REPLCONF GETACK is answered with the offset that includes it and every command before it, but none
// after it, even when they arrive in the same read.
func TestLinkGetAck(t *testing.T) {
	linkLeakCheck(t)
	p := newLinkFakePrimary(t)
	h := &linkTestHost{}
	startTestLink(t, linkTestConfig(p), h, nil)
	c := linkSyncedPeer(t, p, 1000)

	setA, getack, setB := linkBulk("SET", "a", "1"), linkBulk("REPLCONF", "GETACK", "*"), linkBulk("SET", "b", "2")
	c.send(setA + getack + setB)
	c.expect("REPLCONF", "ACK", strconv.Itoa(1000+len(setA)+len(getack)))
	linkWaitFor(t, "SET b", func() bool { return h.Offset() == int64(1000+len(setA)+len(getack)+len(setB)) })
	c.send(getack)
	c.expect("REPLCONF", "ACK", strconv.Itoa(1000+len(setA)+2*len(getack)+len(setB)))
}

// An ACK goes out every ackEvery with the offset applied so far.
func TestLinkPeriodicAcks(t *testing.T) {
	linkLeakCheck(t)
	p := newLinkFakePrimary(t)
	h := &linkTestHost{}
	startTestLink(t, linkTestConfig(p), h, func(l *Link) { l.ackEvery = 5 * time.Millisecond })
	c := linkSyncedPeer(t, p, 50)
	c.expect("REPLCONF", "ACK", "50")
	c.expect("REPLCONF", "ACK", "50")
	set := linkBulk("SET", "k", "v")
	c.send(set)
	want := strconv.Itoa(50 + len(set))
	for {
		got := c.next()
		if len(got) != 3 || got[0] != "REPLCONF" || got[1] != "ACK" {
			t.Fatalf("replica sent %q", got)
		}
		if got[2] == want {
			break
		}
		if got[2] != "50" {
			t.Fatalf("ACK %s, want 50 or %s", got[2], want)
		}
	}
}

// A primary silent for repl-timeout (set at runtime) is dropped; the replica reconnects and asks to
// continue from where it was.
func TestLinkReplTimeoutReconnects(t *testing.T) {
	linkLeakCheck(t)
	p := newLinkFakePrimary(t)
	h := &linkTestHost{}
	l, logs := startTestLink(t, linkTestConfig(p), h, nil)
	c := linkSyncedPeer(t, p, 10)
	linkWaitFor(t, "link up", func() bool { return l.Status().Up })

	l.SetTimeout(50 * time.Millisecond)
	ping := linkBulk("PING")
	c.send(ping) // the next read starts with the new timeout
	c.expectClosed()
	got := p.accept().handshake()
	if strings.Join(got, " ") != "PSYNC "+linkTestID('a')+" "+strconv.Itoa(10+len(ping)+1) {
		t.Fatalf("after the timeout the replica sent %q", got)
	}
	if _, ups, downs := h.counts(); ups != 1 || downs != 1 {
		t.Fatalf("ups=%d downs=%d, want 1 and 1", ups, downs)
	}
	if !strings.Contains(logs.String(), "PRIMARY timeout") || !strings.Contains(logs.String(), "Connection with primary lost.") {
		t.Errorf("log lacks the timeout lines:\n%s", logs)
	}
}

// The primary closes the link: the replica reports it down, reconnects with PSYNC of its cached id and
// next offset, and +CONTINUE (with or without a new id) brings it back up on the same data.
func TestLinkReconnectAndContinue(t *testing.T) {
	cases := []struct {
		name   string
		reply  string
		wantID string // what the host's Continue gets
	}{
		{"bare CONTINUE", "+CONTINUE", ""},
		{"same id", "+CONTINUE " + linkTestID('a'), ""},
		{"new id", "+CONTINUE " + linkTestID('n'), linkTestID('n')},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			linkLeakCheck(t)
			p := newLinkFakePrimary(t)
			h := &linkTestHost{}
			l, _ := startTestLink(t, linkTestConfig(p), h, nil)
			c := linkSyncedPeer(t, p, 300)
			set := linkBulk("SET", "k", "v")
			c.send(set)
			linkWaitFor(t, "the SET", func() bool { return h.Offset() == 300+int64(len(set)) })
			_ = c.conn.Close()

			c2 := p.accept()
			st := l.Status()
			if st.Up || st.DownSince.IsZero() {
				t.Fatalf("status after the drop: %+v", st)
			}
			got := c2.handshake()
			if strings.Join(got, " ") != "PSYNC "+linkTestID('a')+" "+strconv.Itoa(300+len(set)+1) {
				t.Fatalf("reconnect sent %q", got)
			}
			incr := linkBulk("INCR", "n")
			c2.send(tc.reply + "\r\n" + incr)
			linkWaitFor(t, "the INCR", func() bool { return h.Offset() == 300+int64(len(set)+len(incr)) })
			h.mu.Lock()
			continues, ups, downs, fulls := h.continues, h.ups, h.downs, len(h.fulls)
			h.mu.Unlock()
			if len(continues) != 1 || continues[0] != tc.wantID || ups != 2 || downs != 1 || fulls != 1 {
				t.Fatalf("continues=%q ups=%d downs=%d fulls=%d", continues, ups, downs, fulls)
			}
			if st := l.Status(); !st.Up || st.State != LinkConnected || !st.DownSince.IsZero() {
				t.Fatalf("status after the partial resync: %+v", st)
			}
		})
	}
}

// An inline command in the stream is a desync: the link drops and reconnects.
func TestLinkDesyncReconnects(t *testing.T) {
	linkLeakCheck(t)
	p := newLinkFakePrimary(t)
	h := &linkTestHost{}
	startTestLink(t, linkTestConfig(p), h, nil)
	c := linkSyncedPeer(t, p, 0)
	c.send("SET k v\r\n")
	c.expectClosed()
	p.accept().handshake()
	if _, cmds, _, _, downs := h.state(); len(cmds) != 0 || downs != 1 {
		t.Fatalf("cmds=%q downs=%d", cmds, downs)
	}
}
