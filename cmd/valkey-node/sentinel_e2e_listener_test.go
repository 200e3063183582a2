package main

// The sentinel listener rule of spec §0: with tls-replication yes the sentinel port speaks TLS only (the
// real redis-cli --tls queries it, a plain-text client gets no reply); with tls-replication no it serves
// plain text, and a tls-port is refused at start with a message saying why.

import (
	"bufio"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSentinelTLSListener(t *testing.T) {
	requireTool(t, "redis-cli", "redis-tools")
	rs := newReplSet(t, true, 100)
	rs.startSentinels(t, 1, sentinelSpec{tls: true, quorum: 1})
	sp := rs.sentinels[0]
	primary := strconv.Itoa(rs.nodes[0].port)

	t.Run("redis-cli-tls", func(t *testing.T) {
		res := redisCLI(t, append(sp.cliTLS(true), "SENTINEL", "masters")...)
		if res.code != 0 || !strings.Contains(res.out, masterName) || !strings.Contains(res.out, primary) {
			t.Fatalf("redis-cli --tls SENTINEL masters: exit %d\n%s", res.code, res.out)
		}
		res = redisCLI(t, append(sp.cliTLS(true), "SENTINEL", "get-master-addr-by-name", masterName)...)
		if res.code != 0 || res.out != "127.0.0.1\n"+primary {
			t.Fatalf("redis-cli --tls SENTINEL get-master-addr-by-name: exit %d\n%s", res.code, res.out)
		}
	})
	t.Run("plain-client-refused", func(t *testing.T) {
		checkPlainRefused(t, sp.tlsAddr())
		// the real redis-cli without --tls gets no reply either
		res := redisCLI(t, "-p", strconv.Itoa(sp.port), "PING")
		if res.code == 0 || strings.Contains(res.out, "PONG") {
			t.Fatalf("plain redis-cli on the TLS sentinel port: exit %d\n%s", res.code, res.out)
		}
	})
	t.Run("port-only-speaks-tls", func(t *testing.T) {
		// without tls-port the sentinel's `port` itself is the TLS port (spec §0)
		dir := t.TempDir()
		port := rs.ports.pick()
		conf := filepath.Join(dir, "sentinel.conf")
		lines := []string{"bind 127.0.0.1", "dir " + dir, "port " + strconv.Itoa(port), "tls-replication yes",
			"sentinel monitor " + masterName + " 127.0.0.1 " + primary + " 1"}
		writeConf(t, conf, append(lines, tlsConfLines(rs.certs)...))
		sp2 := rs.startSentinel(t, 1, port, conf, sentinelSpec{tls: true})
		checkPlainRefused(t, sp2.tlsAddr())
		if addr, err := sp2.masterAddr(); err != nil || addr != rs.nodes[0].hostPort() {
			t.Fatalf("get-master-addr-by-name over TLS on port: %s, %v", addr, err)
		}
	})
}

// checkPlainRefused sends a plain-text PING to a TLS-only port: the connection must end (closed, reset,
// or a TLS alert then closed) without anything that parses as a RESP reply.
func checkPlainRefused(t *testing.T, addr string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return // already closed on us
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("plain PING on the TLS port %s: connection left open without reply (read %q)", addr, got)
	}
	if got != "" && strings.ContainsRune("+-:$*_#,(=%~>|!", rune(got[0])) {
		t.Fatalf("plain PING on the TLS port %s got a RESP reply %q", addr, got)
	}
}

func TestSentinelPlainListener(t *testing.T) {
	requireTool(t, "redis-cli", "redis-tools")
	rs := newReplSet(t, false, 100)
	rs.startSentinels(t, 1, sentinelSpec{quorum: 1})
	sp := rs.sentinels[0]
	primary := strconv.Itoa(rs.nodes[0].port)

	t.Run("serves-plain-text", func(t *testing.T) {
		res := redisCLI(t, "-p", strconv.Itoa(sp.port), "SENTINEL", "get-master-addr-by-name", masterName)
		if res.code != 0 || res.out != "127.0.0.1\n"+primary {
			t.Fatalf("redis-cli SENTINEL get-master-addr-by-name: exit %d\n%s", res.code, res.out)
		}
		// and no TLS on that port
		d := &net.Dialer{Timeout: 2 * time.Second}
		c, err := tls.DialWithDialer(d, "tcp", sp.addr(), clientTLS(t, rs.certs, true))
		if err == nil {
			c.Close()
			t.Fatal("TLS handshake succeeded on the plain sentinel port")
		}
	})
	t.Run("refuses-tls-port", func(t *testing.T) {
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		lines := []string{"bind 127.0.0.1", "dir " + dir, "port " + strconv.Itoa(rs.ports.pick()),
			"sentinel monitor " + masterName + " 127.0.0.1 " + primary + " 1"}
		lines = append(lines, tlsConfLines(rs.certs)...)
		tlsPort := strconv.Itoa(rs.ports.pick())
		for _, tc := range []struct {
			name  string
			lines []string
			args  []string
		}{
			{"in-file", append(lines, "tls-port "+tlsPort), nil},
			{"in-file-explicit-no", append(lines, "tls-port "+tlsPort, "tls-replication no"), nil},
			{"as-flag", lines, []string{"--tls-port", tlsPort}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				writeConf(t, conf, tc.lines)
				res := runBin(t, append([]string{"sentinel", conf}, tc.args...)...)
				msg := res.stdout + res.stderr
				if res.code == 0 || !strings.Contains(msg, "tls-port") || !strings.Contains(msg, "tls-replication") {
					t.Fatalf("sentinel with tls-port and tls-replication no: want a non-zero exit naming tls-port and tls-replication\n%s", res)
				}
				if _, err := net.DialTimeout("tcp", "127.0.0.1:"+tlsPort, time.Second); err == nil {
					t.Fatal("something listens on the refused tls-port")
				}
			})
		}
		// the refused configuration was not rewritten (no myid generated, nothing persisted)
		if data, err := os.ReadFile(conf); err != nil || strings.Contains(string(data), "myid") {
			t.Errorf("the refused sentinel rewrote its configuration file (%v):\n%s", err, data)
		}
	})
}
