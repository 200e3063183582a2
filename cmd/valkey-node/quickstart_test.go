package main

import (
	"strconv"
	"strings"
	"testing"
)

// TestQuickStartRedisCLI is Valkey's TLS quick start, run against the binary: certificates from
// `valkey-node gen-certs`, a node started with --tls-port P --port 0 and the three certificate flags, and
// the real redis-cli connecting with --tls --cert --key --cacert.
func TestQuickStartRedisCLI(t *testing.T) {
	requireTool(t, "redis-cli", "redis-tools")
	t.Parallel()
	n := startNode(t, nodeSpec{tls: true})
	if n.port != 0 {
		t.Fatal("quick start must run with --port 0")
	}
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"SET", "quickstart", "hello world"}, "OK"},
		{[]string{"GET", "quickstart"}, "hello world"},
		{[]string{"GET", "nosuchkey"}, ""},
	}
	for _, s := range steps {
		res := redisCLI(t, append(n.cliTLS(true), s.args...)...)
		if res.code != 0 || res.out != s.want {
			t.Errorf("redis-cli --tls %s = %q (exit %d), want %q", strings.Join(s.args, " "), res.out, res.code, s.want)
		}
	}
	// the plain-text protocol is not spoken on the TLS port
	if res := redisCLI(t, "-p", strconv.Itoa(n.tlsPort), "PING"); res.out == "PONG" {
		t.Errorf("plain redis-cli on the TLS port got PONG")
	}
	// --port 0 turns the plain listener off: the only listener is the TLS one
	info := redisCLI(t, append(n.cliTLS(true), "INFO", "server")...).out
	if want := "listener0:name=tls,bind=127.0.0.1,port=" + strconv.Itoa(n.tlsPort); !strings.Contains(info, want) ||
		strings.Contains(info, "name=tcp") {
		t.Errorf("INFO server should list only %q:\n%s", want, info)
	}
}

// TestTLSAuthClients checks tls-auth-clients: yes (the default) refuses a client without a certificate,
// no and optional accept it, and a client with a certificate is accepted in every mode.
func TestTLSAuthClients(t *testing.T) {
	requireTool(t, "redis-cli", "redis-tools")
	t.Parallel()
	for _, tc := range []struct {
		mode          string // "" = default
		anonymousOK   bool
		certificateOK bool
		readyWithCert bool
	}{
		{"", false, true, true},
		{"yes", false, true, true},
		{"no", true, true, false},
		{"optional", true, true, false},
	} {
		name := tc.mode
		if name == "" {
			name = "default"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var args []string
			if tc.mode != "" {
				args = []string{"--tls-auth-clients", tc.mode}
			}
			n := startNode(t, nodeSpec{tls: true, args: args, noReadyCert: !tc.readyWithCert})
			anon := redisCLI(t, append(n.cliTLS(false), "PING")...)
			if got := anon.code == 0 && anon.out == "PONG"; got != tc.anonymousOK {
				t.Errorf("redis-cli --tls without --cert/--key: %q (exit %d), accepted=%v want %v",
					anon.out, anon.code, got, tc.anonymousOK)
			}
			withCert := redisCLI(t, append(n.cliTLS(true), "PING")...)
			if got := withCert.code == 0 && withCert.out == "PONG"; got != tc.certificateOK {
				t.Errorf("redis-cli --tls --cert --key: %q (exit %d), accepted=%v want %v",
					withCert.out, withCert.code, got, tc.certificateOK)
			}
		})
	}
}

// TestPlainAndTLSPortsTogether serves --port X and --tls-port Y from one process: data written on one is
// read on the other, and each port speaks only its own protocol.
func TestPlainAndTLSPortsTogether(t *testing.T) {
	requireTool(t, "redis-cli", "redis-tools")
	t.Parallel()
	n := startNode(t, nodeSpec{plain: true, tls: true})
	plain := []string{"-p", strconv.Itoa(n.port)}
	if res := redisCLI(t, append(plain, "SET", "shared", "from-plain")...); res.out != "OK" {
		t.Fatalf("SET on the plain port: %q (exit %d)", res.out, res.code)
	}
	if res := redisCLI(t, append(n.cliTLS(true), "GET", "shared")...); res.out != "from-plain" {
		t.Errorf("GET on the TLS port: %q (exit %d), want from-plain", res.out, res.code)
	}
	if res := redisCLI(t, append(n.cliTLS(true), "SET", "shared", "from-tls")...); res.out != "OK" {
		t.Fatalf("SET on the TLS port: %q (exit %d)", res.out, res.code)
	}
	if res := redisCLI(t, append(plain, "GET", "shared")...); res.out != "from-tls" {
		t.Errorf("GET on the plain port: %q (exit %d), want from-tls", res.out, res.code)
	}
	// one process: both connections are listed by the same node
	info := redisCLI(t, append(plain, "INFO", "server")...).out
	for _, want := range []string{
		"tcp_port:" + strconv.Itoa(n.port),
		"name=tcp,bind=127.0.0.1,port=" + strconv.Itoa(n.port),
		"name=tls,bind=127.0.0.1,port=" + strconv.Itoa(n.tlsPort),
	} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO server on the plain port lacks %q:\n%s", want, info)
		}
	}
	if res := redisCLI(t, "-p", strconv.Itoa(n.port), "--tls", "--cacert", n.certs+"/ca.crt", "PING"); res.out == "PONG" {
		t.Errorf("TLS client on the plain port got PONG")
	}
	if res := redisCLI(t, "-p", strconv.Itoa(n.tlsPort), "PING"); res.out == "PONG" {
		t.Errorf("plain client on the TLS port got PONG")
	}
}
