package server

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// plainPing opens a new plain connection to addr and PINGs.
func plainPing(addr string) error {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 7)
	if _, err := ioReadFullConn(c, buf); err != nil {
		return err
	}
	if string(buf) != "+PONG\r\n" {
		return &net.AddrError{Err: "unexpected reply " + strconv.Quote(string(buf)), Addr: addr}
	}
	return nil
}

func ioReadFullConn(c net.Conn, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := c.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func loopback(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }

// busyPort holds a loopback port for the test's duration.
func busyPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// TestListenSwitchPorts is spec §6 item 7 and unit/networking.tcl: the plain and TLS ports move at run time,
// in one CONFIG SET or two, and a busy port is refused with the old listener still serving.
func TestListenSwitchPorts(t *testing.T) {
	pki := newTestPKI(t, "ports CA")
	crt, key, _ := pki.pair("server", leafSpec{})
	n := startTLSNode(t, crt, key, pki.caFile)
	cli := pki.clientConfig(pki)
	plainPort, _ := strconv.Atoi(n.addr[strings.LastIndex(n.addr, ":")+1:])
	tlsPort, _ := strconv.Atoi(n.tlsAddr[strings.LastIndex(n.tlsAddr, ":")+1:])
	admin := n.raw() // made on the plain port: it must survive every change below
	set := func(args ...string) string {
		t.Helper()
		return admin.do(append([]string{"CONFIG", "SET"}, args...)...)
	}
	wantPlain := func(port int, up bool) {
		t.Helper()
		if err := plainPing(loopback(port)); (err == nil) != up {
			t.Errorf("plain PING on %d: err=%v, want served=%v", port, err, up)
		}
	}
	wantTLS := func(port int, up bool) {
		t.Helper()
		if err := pingTLS(loopback(port), cli); (err == nil) != up {
			t.Errorf("TLS PING on %d: err=%v, want served=%v", port, err, up)
		}
	}
	wantPlain(plainPort, true)
	wantTLS(tlsPort, true)

	// Valkey's test: two commands each way
	if got := set("tls-port", "0"); got != "OK" {
		t.Fatal(got)
	}
	wantTLS(tlsPort, false)
	if got := set("port", strconv.Itoa(tlsPort)); got != "OK" {
		t.Fatalf("port %d after tls-port 0: %s", tlsPort, got)
	}
	wantPlain(tlsPort, true)
	wantPlain(plainPort, false)
	if got := set("port", "0"); got != "OK" {
		t.Fatal(got)
	}
	if got := set("tls-port", strconv.Itoa(tlsPort)); got != "OK" {
		t.Fatalf("tls-port %d after port 0: %s", tlsPort, got)
	}
	wantTLS(tlsPort, true)

	// one command each way: the port a socket gives up is taken by the other kind
	if got := set("tls-port", "0", "port", strconv.Itoa(tlsPort)); got != "OK" {
		t.Fatalf("tls-port 0 port %d in one CONFIG SET: %s", tlsPort, got)
	}
	wantPlain(tlsPort, true)
	if got := set("port", "0", "tls-port", strconv.Itoa(tlsPort)); got != "OK" {
		t.Fatalf("port 0 tls-port %d in one CONFIG SET: %s", tlsPort, got)
	}
	wantTLS(tlsPort, true)
	// and a swap of the two ports
	if got := set("port", strconv.Itoa(plainPort)); got != "OK" {
		t.Fatal(got)
	}
	if got := set("port", strconv.Itoa(tlsPort), "tls-port", strconv.Itoa(plainPort)); got != "OK" {
		t.Fatalf("swapping the ports: %s", got)
	}
	wantPlain(tlsPort, true)
	wantTLS(plainPort, true)
	if got := set("port", strconv.Itoa(plainPort), "tls-port", strconv.Itoa(tlsPort)); got != "OK" {
		t.Fatalf("swapping the ports back: %s", got)
	}
	wantPlain(plainPort, true)
	wantTLS(tlsPort, true)
	if got := admin.do("PING"); got != "PONG" {
		t.Fatalf("the admin connection did not survive the port changes: %s", got)
	}
}

// TestListenBusyPort: CONFIG SET port or tls-port to a port in use is refused with Valkey's message,
// every value is restored and the old listeners keep serving.
func TestListenBusyPort(t *testing.T) {
	pki := newTestPKI(t, "busy CA")
	crt, key, _ := pki.pair("server", leafSpec{})
	n := startTLSNode(t, crt, key, pki.caFile)
	cli := pki.clientConfig(pki)
	admin := n.raw()
	busy := strconv.Itoa(busyPort(t))
	plainPortStr := n.addr[strings.LastIndex(n.addr, ":")+1:]
	tlsPortStr := n.tlsAddr[strings.LastIndex(n.tlsAddr, ":")+1:]

	for _, tc := range []struct {
		args []string
		arg  string
	}{
		{[]string{"tls-port", busy}, "tls-port"},
		{[]string{"port", busy}, "port"},
		{[]string{"port", tlsPortStr}, "port"},           // our own TLS port
		{[]string{"tls-port", plainPortStr}, "tls-port"}, // our own plain port
		{[]string{"tls-port", "0", "port", busy}, "tls-port"},
		// an unchanged bind needs no apply, so the port is named; a changed one is named first
		{[]string{"bind", "127.0.0.1", "port", busy}, "port"},
		{[]string{"bind", "127.0.0.1 -192.0.2.1", "port", busy}, "bind"},
	} {
		want := "-ERR CONFIG SET failed (possibly related to argument '" + tc.arg + "') - Unable to listen on this port. Check server logs."
		if got := admin.do(append([]string{"CONFIG", "SET"}, tc.args...)...); got != want {
			t.Errorf("CONFIG SET %v\n got %s\nwant %s", tc.args, got, want)
		}
		if got := admin.do("CONFIG", "GET", "bind", "port", "tls-port"); got != `["bind" "127.0.0.1" "port" "`+plainPortStr+`" "tls-port" "`+tlsPortStr+`"]` {
			t.Errorf("after CONFIG SET %v: values not restored: %s", tc.args, got)
		}
		if err := plainPing(n.addr); err != nil {
			t.Errorf("after CONFIG SET %v: the plain port stopped serving: %v", tc.args, err)
		}
		if err := pingTLS(n.tlsAddr, cli); err != nil {
			t.Errorf("after CONFIG SET %v: the TLS port stopped serving: %v", tc.args, err)
		}
	}
	if !strings.Contains(n.logs.String(), "Could not create server TCP listening socket 127.0.0.1:"+busy+": bind: Address already in use") {
		t.Errorf("log lacks the bind failure:\n%s", n.logs.String())
	}
	if got := admin.do("INFO", "server"); !strings.Contains(got, "tcp_port:"+plainPortStr) {
		t.Errorf("INFO tcp_port changed after failed port changes")
	}
}

// TestListenBindChangeKeepsPort: changing bind while the port stays keeps the sockets that remain and
// opens the new ones (binding the same address twice would fail); an optional unavailable address is
// skipped.
func TestListenBindChangeKeepsPort(t *testing.T) {
	n := startNode(t)
	admin := n.raw()
	// 127.0.0.1 stays, 127.0.0.2 (loopback on Linux) is added, an optional unavailable address is skipped
	if got := admin.do("CONFIG", "SET", "bind", "127.0.0.1 127.0.0.2 -192.0.2.1"); got != "OK" {
		t.Fatalf("CONFIG SET bind: %s", got)
	}
	port := n.addr[strings.LastIndex(n.addr, ":")+1:]
	for _, host := range []string{"127.0.0.1", "127.0.0.2"} {
		if err := plainPing(net.JoinHostPort(host, port)); err != nil {
			t.Errorf("PING on %s: %v", host, err)
		}
	}
	if got := admin.do("CONFIG", "SET", "bind", "127.0.0.2"); got != "OK" {
		t.Fatalf("CONFIG SET bind 127.0.0.2: %s", got)
	}
	if err := plainPing(n.addr); err == nil {
		t.Errorf("127.0.0.1 still served after it left bind")
	}
	if err := plainPing(net.JoinHostPort("127.0.0.2", port)); err != nil {
		t.Errorf("PING on 127.0.0.2: %v", err)
	}
	if got := admin.do("CONFIG", "SET", "bind", "127.0.0.1"); got != "OK" {
		t.Fatalf("CONFIG SET bind 127.0.0.1: %s", got)
	}
	if got := admin.do("CONFIG", "SET", "bind", "192.0.2.1"); !strings.HasPrefix(got, "-ERR CONFIG SET failed (possibly related to argument 'bind') - Unable to listen on this port.") {
		t.Errorf("bind to an unavailable address: %s", got)
	}
	if err := plainPing(n.addr); err != nil {
		t.Errorf("PING after a refused bind change: %v", err)
	}
	if got := admin.do("PING"); got != "PONG" {
		t.Errorf("the admin connection did not survive: %s", got)
	}
}

// TestSockConflicts: which old sockets must be released before a new one can be bound (the wildcard case
// is not exercised by the node tests, which stay on loopback addresses).
func TestSockConflicts(t *testing.T) {
	old := func(network, host string, port int64) *sock { return &sock{network: network, host: host, port: port} }
	want := func(network, host string, port int64) sockSpec {
		return sockSpec{network: network, host: host, port: port}
	}
	for _, tc := range []struct {
		old  *sock
		w    sockSpec
		want bool
	}{
		{old("tcp4", "127.0.0.1", 7000), want("tcp4", "127.0.0.1", 7000), true},
		{old("tcp4", "127.0.0.1", 7000), want("tcp4", "127.0.0.1", 7001), false},
		{old("tcp4", "127.0.0.1", 7000), want("tcp4", "127.0.0.2", 7000), false},
		{old("tcp4", "127.0.0.1", 7000), want("tcp4", "0.0.0.0", 7000), true},
		{old("tcp4", "0.0.0.0", 7000), want("tcp4", "127.0.0.1", 7000), true},
		{old("tcp6", "::", 7000), want("tcp6", "::1", 7000), true},
		{old("tcp6", "::", 7000), want("tcp4", "0.0.0.0", 7000), false}, // Go opens tcp6 sockets IPv6-only
	} {
		if got := tc.old.conflicts(tc.w); got != tc.want {
			t.Errorf("%s %s:%d vs %s %s:%d: conflicts=%v, want %v", tc.old.network, tc.old.host, tc.old.port,
				tc.w.network, tc.w.host, tc.w.port, got, tc.want)
		}
	}
}
