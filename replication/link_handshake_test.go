package replication

import (
	"strings"
	"testing"
)

// The handshake goes out byte for byte as spec §3.1 lists it: PING alone, then AUTH and the REPLCONFs in
// one pipelined write, then PSYNC once every reply is in.
func TestLinkHandshakeBytes(t *testing.T) {
	cases := []struct {
		name       string
		user, pass string
		ip         string
		cached     string
		want       []string // the pipelined commands after PING
		wantPSYNC  string
	}{
		{
			name: "plain",
			want: []string{
				linkBulk("REPLCONF", "listening-port", "6380"),
				linkBulk("REPLCONF", "capa", "eof", "capa", "psync2"),
				linkBulk("REPLCONF", "version", "8.0.1"),
			},
			wantPSYNC: linkBulk("PSYNC", "?", "-1"),
		},
		{
			name: "password and announce-ip, cached primary",
			pass: "s3cret", ip: "10.1.2.3", cached: linkTestID('a'),
			want: []string{
				linkBulk("AUTH", "s3cret"),
				linkBulk("REPLCONF", "listening-port", "6380"),
				linkBulk("REPLCONF", "ip-address", "10.1.2.3"),
				linkBulk("REPLCONF", "capa", "eof", "capa", "psync2"),
				linkBulk("REPLCONF", "version", "8.0.1"),
			},
			wantPSYNC: linkBulk("PSYNC", linkTestID('a'), "1001"),
		},
		{
			name: "user and password",
			user: "repl", pass: "pw",
			want: []string{
				linkBulk("AUTH", "repl", "pw"),
				linkBulk("REPLCONF", "listening-port", "6380"),
				linkBulk("REPLCONF", "capa", "eof", "capa", "psync2"),
				linkBulk("REPLCONF", "version", "8.0.1"),
			},
			wantPSYNC: linkBulk("PSYNC", "?", "-1"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			linkLeakCheck(t)
			p := newLinkFakePrimary(t)
			cfg := linkTestConfig(p)
			cfg.MasterUser, cfg.MasterAuth, cfg.AnnounceIP = tc.user, tc.pass, tc.ip
			h := &linkTestHost{replid: tc.cached, offset: 1000}
			l, logs := startTestLink(t, cfg, h, nil)

			c := p.accept()
			c.readExact(linkBulk("PING"))
			if st := l.Status().State; st != LinkHandshake {
				t.Errorf("state during the handshake = %q, want %q", st, LinkHandshake)
			}
			c.send("+PONG\r\n")
			c.readExact(strings.Join(tc.want, ""))
			for range tc.want {
				c.send("+OK\r\n")
			}
			c.readExact(tc.wantPSYNC)
			if !strings.Contains(logs.String(), "Connecting to PRIMARY 127.0.0.1:") {
				t.Errorf("log lacks the connecting line:\n%s", logs)
			}
			if tc.cached == "" && !strings.Contains(logs.String(), "Partial resynchronization not possible (no cached master)") {
				t.Errorf("log lacks the no-cached-master line:\n%s", logs)
			}
		})
	}
}

// Reply rules: PING may be refused for lack of authentication; AUTH must succeed; the REPLCONFs may fail.
func TestLinkHandshakeReplyRules(t *testing.T) {
	cases := []struct {
		name      string
		pingReply string
		authReply string
		confReply string // the reply to every REPLCONF
		proceeds  bool   // PSYNC is sent
	}{
		{"pong", "+PONG", "+OK", "+OK", true},
		{"NOAUTH on PING", "-NOAUTH Authentication required.", "+OK", "+OK", true},
		{"NOPERM on PING", "-NOPERM this user has no permissions to run the 'ping' command", "+OK", "+OK", true},
		{"not permitted on PING", "-ERR operation not permitted", "+OK", "+OK", true},
		{"other PING error", "-ERR unknown command 'PING'", "", "", false},
		{"AUTH refused", "+PONG", "-WRONGPASS invalid username-password pair or user is disabled.", "+OK", false},
		{"REPLCONF refused", "+PONG", "+OK", "-ERR Unrecognized REPLCONF option", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			linkLeakCheck(t)
			p := newLinkFakePrimary(t)
			cfg := linkTestConfig(p)
			cfg.MasterAuth = "pw"
			h := &linkTestHost{}
			startTestLink(t, cfg, h, nil)

			c := p.accept()
			c.expect("PING")
			c.send("\n" + tc.pingReply + "\r\n") // a keep-alive newline before a reply is skipped
			if tc.authReply == "" {
				c.expectClosed()
				p.accept().expect("PING") // and it tries again
				return
			}
			c.expect("AUTH", "pw")
			c.expect("REPLCONF", "listening-port", "6380")
			c.expect("REPLCONF", "capa", "eof", "capa", "psync2")
			c.expect("REPLCONF", "version", "8.0.1")
			// One write: a replica that gives up after the AUTH reply may close before later writes.
			c.send(tc.authReply + "\r\n" + strings.Repeat(tc.confReply+"\r\n", 3))
			if !tc.proceeds {
				c.expectClosed()
				p.accept().expect("PING")
				return
			}
			c.expect("PSYNC", "?", "-1")
		})
	}
}

func TestLinkParsePSYNCReply(t *testing.T) {
	id := linkTestID('b')
	cases := []struct {
		reply   string
		outcome psyncOutcome
		id      string
		off     int64
	}{
		{"+FULLRESYNC " + id + " 1234", psyncFull, id, 1234},
		{"+FULLRESYNC " + id, psyncFull, "", -1},
		{"+FULLRESYNC short 12", psyncFull, "", -1},
		{"+CONTINUE", psyncContinue, "", -1},
		{"+CONTINUE " + id, psyncContinue, id, -1},
		{"-NOMASTERLINK Can't SYNC while not connected with my master", psyncTryLater, "", -1},
		{"-LOADING Valkey is loading the dataset in memory", psyncTryLater, "", -1},
		{"-ERR unknown command 'PSYNC'", psyncUnsupported, "", -1},
		{"+OK", psyncUnsupported, "", -1},
	}
	for _, tc := range cases {
		o, gotID, off := parsePSYNCReply(tc.reply)
		if o != tc.outcome || gotID != tc.id || off != tc.off {
			t.Errorf("parsePSYNCReply(%q) = %v %q %d, want %v %q %d", tc.reply, o, gotID, off, tc.outcome, tc.id, tc.off)
		}
	}
}
