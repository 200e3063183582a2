package replication

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// linkTestRDB is a stand-in RDB: the link never looks inside it.
func linkTestRDB(n int) string {
	var b strings.Builder
	b.WriteString("REDIS0010")
	for i := 0; b.Len() < n; i++ {
		b.WriteByte(byte(i * 7))
	}
	return b.String()[:n]
}

// A "$<len>" transfer: the host reads exactly the RDB (stream bytes sent in the same write are not part
// of it), the replica acknowledges the primary's offset right after loading, then applies the stream.
func TestLinkFullResyncLength(t *testing.T) {
	linkLeakCheck(t)
	p := newLinkFakePrimary(t)
	h := &linkTestHost{}
	l, logs := startTestLink(t, linkTestConfig(p), h, nil)

	c := p.accept()
	c.handshake()
	rdb := linkTestRDB(5000)
	set := linkBulk("SET", "k", "v")
	c.send("+FULLRESYNC " + linkTestID('a') + " 777\r\n\n\n$" + strconv.Itoa(len(rdb)) + "\r\n" + rdb + set)
	c.expect("REPLCONF", "ACK", "777")
	linkWaitFor(t, "the SET to be applied", func() bool { return h.Offset() == 777+int64(len(set)) })

	fulls, cmds, raw, ups, _ := h.state()
	if len(fulls) != 1 || fulls[0].replid != linkTestID('a') || fulls[0].offset != 777 || string(fulls[0].data) != rdb {
		t.Fatalf("FullSync calls: %+v", fulls)
	}
	if len(cmds) != 1 || strings.Join(cmds[0], " ") != "SET k v" || string(raw) != set {
		t.Fatalf("applied %q raw %q", cmds, raw)
	}
	st := l.Status()
	if ups != 1 || st.State != LinkConnected || !st.Up || st.SyncInProgress || st.ReadReplOffset != 777+int64(len(set)) {
		t.Fatalf("after sync: ups=%d status=%+v", ups, st)
	}
	for _, want := range []string{"Full resync from primary: " + linkTestID('a') + ":777", "PRIMARY <-> REPLICA sync: Finished with success"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
}

// A "$EOF:" transfer through the whole link: the RDB contains most of the mark, the mark itself is
// split across writes, and the replica ACKs before the primary streams (as a diskless primary waits).
func TestLinkFullResyncEOFMark(t *testing.T) {
	linkLeakCheck(t)
	p := newLinkFakePrimary(t)
	h := &linkTestHost{}
	startTestLink(t, linkTestConfig(p), h, nil)

	c := p.accept()
	c.handshake()
	mark := "0123456789abcdef0123456789abcdef01234567"
	rdb := linkTestRDB(3000) + mark[:39] + "tail" + mark[:20]
	c.send("+FULLRESYNC " + linkTestID('c') + " 42\r\n$EOF:" + mark + "\r\n" + rdb + mark[:17])
	time.Sleep(10 * time.Millisecond) // makes a separate read likely; the unit test covers every split
	c.send(mark[17:])
	c.expect("REPLCONF", "ACK", "42")
	ping := linkBulk("PING")
	c.send(ping)
	linkWaitFor(t, "the PING to be applied", func() bool { return h.Offset() == 42+int64(len(ping)) })
	fulls, _, _, _, _ := h.state()
	if len(fulls) != 1 || string(fulls[0].data) != rdb || fulls[0].offset != 42 {
		t.Fatalf("FullSync got %d calls, data %d bytes (want %d)", len(fulls), len(fulls[0].data), len(rdb))
	}
}

// linkChunkConn is a net.Conn whose reads return the given chunks one per Read, then EOF.
type linkChunkConn struct {
	net.Conn
	chunks [][]byte
	wrote  bytes.Buffer
}

func (c *linkChunkConn) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

func (c *linkChunkConn) Write(p []byte) (int, error)      { return c.wrote.Write(p) }
func (c *linkChunkConn) SetReadDeadline(time.Time) error  { return nil }
func (c *linkChunkConn) SetWriteDeadline(time.Time) error { return nil }
func (c *linkChunkConn) Close() error                     { return nil }

// The mark reader ends exactly at the mark wherever reads split the input, with a mark split across
// reads, an RDB holding partial marks, and the stream's first bytes in the same read as the mark.
func TestLinkMarkReaderSplits(t *testing.T) {
	mark := []byte("0123456789abcdefghijklmnopqrstuvwxyzABCD")
	rdbs := map[string]string{
		"empty":        "",
		"plain":        linkTestRDB(200),
		"partial mark": linkTestRDB(50) + string(mark[:39]) + "x" + string(mark[1:]) + string(mark[:10]),
		"mark prefix":  string(mark[:39]),
	}
	after := "*1\r\n$4\r\nPING\r\n"
	for name, rdb := range rdbs {
		input := []byte(rdb + string(mark) + after)
		for _, readSize := range []int{1, 2, 7, 39, 40, 41, 4096} {
			for split := 0; split <= len(input); split += max(1, len(input)/37) {
				chunks := [][]byte{bytes.Clone(input[:split])}
				for rest := input[split:]; len(rest) > 0; {
					n := min(readSize, len(rest))
					chunks = append(chunks, bytes.Clone(rest[:n]))
					rest = rest[n:]
				}
				l := NewLink(LinkConfig{}, &linkTestHost{}, linkNopLogger())
				c := newLinkConn(l, &linkChunkConn{chunks: chunks})
				mr := &linkMarkReader{c: c, mark: mark}
				// Small reads by the consumer too, to exercise handing out part of what is safe.
				got, err := io.ReadAll(io.LimitReader(&linkSmallReads{r: mr, n: 13}, 1<<20))
				if err != nil || string(got) != rdb {
					t.Fatalf("%s, split %d, reads of %d: got %q, %v; want %q", name, split, readSize, got, err, rdb)
				}
				rest, _ := io.ReadAll(c)
				if string(rest) != after {
					t.Fatalf("%s, split %d, reads of %d: after the mark %q, want %q", name, split, readSize, rest, after)
				}
			}
		}
	}
}

// linkSmallReads passes at most n bytes per Read.
type linkSmallReads struct {
	r io.Reader
	n int
}

func (s *linkSmallReads) Read(p []byte) (int, error) {
	if len(p) > s.n {
		p = p[:s.n]
	}
	return s.r.Read(p)
}

// A connection that ends before the mark is an error, not a short RDB.
func TestLinkMarkReaderTruncated(t *testing.T) {
	mark := []byte(linkTestID('m'))
	l := NewLink(LinkConfig{}, &linkTestHost{}, linkNopLogger())
	c := newLinkConn(l, &linkChunkConn{chunks: [][]byte{[]byte("REDIS0010abc" + string(mark[:30]))}})
	_, err := io.ReadAll(&linkMarkReader{c: c, mark: mark})
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated transfer: %v, want unexpected EOF", err)
	}
}

// Header lines: keep-alive newlines are skipped, an error line aborts, anything but '$' is refused.
func TestLinkBulkHeader(t *testing.T) {
	cases := []struct {
		in      string
		mark    string
		size    int64
		wantErr string
	}{
		{"\n\n\n$123\r\n", "", 123, ""},
		{"$EOF:" + linkTestID('e') + "\r\n", linkTestID('e'), 0, ""},
		{"$0\r\n", "", 0, ""},
		{"\n-ERR snapshot failed\r\n", "", 0, "PRIMARY aborted replication with an error: -ERR snapshot failed"},
		{"+OK\r\n", "", 0, "the first byte is not '$'"},
		{"$abc\r\n", "", 0, "invalid RDB length"},
		{"$-5\r\n", "", 0, "invalid RDB length"},
		{"$EOF:short\r\n", "", 0, "EOF mark"},
	}
	for _, tc := range cases {
		l := NewLink(LinkConfig{}, &linkTestHost{}, linkNopLogger())
		c := newLinkConn(l, &linkChunkConn{chunks: [][]byte{[]byte(tc.in)}})
		mark, size, err := l.readBulkHeader(c)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want one containing %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil || string(mark) != tc.mark || size != tc.size {
			t.Errorf("%q: %q %d %v, want %q %d", tc.in, mark, size, err, tc.mark, tc.size)
		}
	}
}

// -ERR to PSYNC: an old primary; the replica sends SYNC and the RDB comes without +FULLRESYNC, so the
// host gets no id and no offset.
func TestLinkPSYNCErrorFallsBackToSYNC(t *testing.T) {
	linkLeakCheck(t)
	p := newLinkFakePrimary(t)
	h := &linkTestHost{}
	startTestLink(t, linkTestConfig(p), h, nil)

	c := p.accept()
	c.handshake()
	c.send("-ERR unknown command 'PSYNC'\r\n")
	c.expect("SYNC")
	c.send("\n$5\r\nREDIS")
	c.expect("REPLCONF", "ACK", "0")
	fulls, _, _, ups, _ := h.state()
	if len(fulls) != 1 || fulls[0].replid != "" || fulls[0].offset != -1 || string(fulls[0].data) != "REDIS" {
		t.Fatalf("FullSync calls: %+v", fulls)
	}
	linkWaitFor(t, "link up", func() bool { _, ups, _ = h.counts(); return ups == 1 })
}

// -NOMASTERLINK and -LOADING mean "later": no SYNC, the connection is dropped and PSYNC is retried.
func TestLinkPSYNCTryLater(t *testing.T) {
	for _, reply := range []string{"-NOMASTERLINK Can't SYNC while not connected with my master", "-LOADING Valkey is loading the dataset in memory"} {
		t.Run(reply[1:9], func(t *testing.T) {
			linkLeakCheck(t)
			p := newLinkFakePrimary(t)
			h := &linkTestHost{}
			startTestLink(t, linkTestConfig(p), h, nil)
			c := p.accept()
			c.handshake()
			c.send(reply + "\r\n")
			c.expectClosed()
			if got := p.accept().handshake(); strings.Join(got, " ") != "PSYNC ? -1" {
				t.Fatalf("retry sent %q", got)
			}
		})
	}
}

// repl-diskless-load disabled: the transfer goes to temp-<pid>-<n>.rdb in dir, the host loads that
// file, and the file is gone afterwards.
func TestLinkDiskLoadUsesTempFile(t *testing.T) {
	for _, eof := range []bool{false, true} {
		t.Run("eof="+strconv.FormatBool(eof), func(t *testing.T) {
			linkLeakCheck(t)
			p := newLinkFakePrimary(t)
			cfg := linkTestConfig(p)
			cfg.DisklessLoad = "disabled"
			cfg.Dir = t.TempDir()
			var during []string
			h := &linkTestHost{onFullSync: func(io.Reader) {
				ents, _ := os.ReadDir(cfg.Dir)
				for _, e := range ents {
					during = append(during, e.Name())
				}
			}}
			startTestLink(t, cfg, h, nil)

			c := p.accept()
			c.handshake()
			rdb := linkTestRDB(70000)
			if eof {
				mark := linkTestID('d')
				c.send("+FULLRESYNC " + linkTestID('a') + " 9\r\n$EOF:" + mark + "\r\n" + rdb + mark)
			} else {
				c.send("+FULLRESYNC " + linkTestID('a') + " 9\r\n$" + strconv.Itoa(len(rdb)) + "\r\n" + rdb)
			}
			c.expect("REPLCONF", "ACK", "9")

			fulls, _, _, _, _ := h.state()
			want := "temp-" + strconv.Itoa(os.Getpid()) + "-"
			if len(fulls) != 1 || string(fulls[0].data) != rdb || filepath.Dir(fulls[0].file) != cfg.Dir ||
				!strings.HasPrefix(filepath.Base(fulls[0].file), want) || !strings.HasSuffix(fulls[0].file, ".rdb") {
				t.Fatalf("FullSync got file %q (%d calls)", fulls[0].file, len(fulls))
			}
			if len(during) != 1 || during[0] != filepath.Base(fulls[0].file) {
				t.Fatalf("dir during the load: %q", during)
			}
			if ents, _ := os.ReadDir(cfg.Dir); len(ents) != 0 {
				t.Fatalf("temp file left behind: %v", ents)
			}
		})
	}
}

// The replica writes newlines while it receives and loads the RDB, so the primary does not time it out.
func TestLinkKeepaliveWhileLoading(t *testing.T) {
	linkLeakCheck(t)
	p := newLinkFakePrimary(t)
	h := &linkTestHost{}
	startTestLink(t, linkTestConfig(p), h, func(l *Link) { l.keepaliveEvery = 5 * time.Millisecond })

	c := p.accept()
	c.handshake()
	c.send("+FULLRESYNC " + linkTestID('a') + " 5\r\n$10\r\nREDIS")
	// The rest of the RDB only comes once the replica has said it is alive.
	if got, err := c.readCmd(); err != nil || len(got) != 0 {
		t.Fatalf("expected a keep-alive newline, got %q %v", got, err)
	}
	c.send("00100")
	c.expect("REPLCONF", "ACK", "5")
	fulls, _, _, _, _ := h.state()
	if len(fulls) != 1 || string(fulls[0].data) != "REDIS00100" {
		t.Fatalf("FullSync calls: %+v", fulls)
	}
}

// A primary that vanishes mid-transfer: the host's reader fails (it does not see a short RDB as
// complete), nothing is acknowledged, and the link reconnects.
func TestLinkPrimaryVanishesMidTransfer(t *testing.T) {
	for _, mode := range []string{"length", "eof", "disk"} {
		t.Run(mode, func(t *testing.T) {
			linkLeakCheck(t)
			p := newLinkFakePrimary(t)
			cfg := linkTestConfig(p)
			if mode == "disk" {
				cfg.DisklessLoad = "disabled"
				cfg.Dir = t.TempDir()
			}
			h := &linkTestHost{}
			l, _ := startTestLink(t, cfg, h, nil)

			c := p.accept()
			c.handshake()
			head := "+FULLRESYNC " + linkTestID('a') + " 5\r\n$100000\r\n"
			if mode == "eof" {
				head = "+FULLRESYNC " + linkTestID('a') + " 5\r\n$EOF:" + linkTestID('z') + "\r\n"
			}
			c.send(head + linkTestRDB(3000))
			linkWaitFor(t, "the transfer to start", func() bool { return l.Status().SyncReadBytes > 0 })
			if st := l.Status(); st.State != LinkSync || !st.SyncInProgress {
				t.Fatalf("status during the transfer: %+v", st)
			}
			_ = c.conn.Close()

			c2 := p.accept()
			c2.handshake()
			fulls, _, _, ups, _ := h.state()
			switch {
			case mode == "disk" && len(fulls) != 0:
				t.Fatalf("a disk load of a partial transfer reached the host: %+v", fulls)
			case mode != "disk" && (len(fulls) != 1 || fulls[0].err == nil || len(fulls[0].data) < 3000-linkMarkLen):
				t.Fatalf("FullSync calls: %+v", fulls)
			case ups != 0:
				t.Fatalf("link reported up after a failed transfer")
			}
			if mode == "disk" {
				if ents, _ := os.ReadDir(cfg.Dir); len(ents) != 0 {
					t.Fatalf("temp file left behind: %v", ents)
				}
			}
		})
	}
}

// A host that fails to load the RDB: no ACK, the link retries with a new connection.
func TestLinkLoadFailureRetries(t *testing.T) {
	linkLeakCheck(t)
	p := newLinkFakePrimary(t)
	h := &linkTestHost{failLoad: errors.New("bad RDB")}
	startTestLink(t, linkTestConfig(p), h, nil)

	c := p.accept()
	c.handshake()
	c.send("+FULLRESYNC " + linkTestID('a') + " 5\r\n$3\r\nabc")
	c.expectClosed()
	p.accept().handshake()
	if _, ups, _ := h.counts(); ups != 0 {
		t.Fatal("link reported up after a failed load")
	}
}
