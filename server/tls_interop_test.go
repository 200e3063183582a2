package server

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// cliPing runs `redis-cli --tls ... PING` and returns its trimmed output and whether it printed PONG.
func cliPing(t *testing.T, cli, addr, caFile string, certKey ...string) (string, bool) {
	t.Helper()
	host, port, _ := strings.Cut(addr, ":")
	args := []string{"-h", host, "-p", port, "--tls", "--cacert", caFile}
	if len(certKey) == 2 {
		args = append(args, "--cert", certKey[0], "--key", certKey[1])
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, cli, append(args, "PING")...).CombinedOutput()
	text := strings.TrimSpace(string(out))
	return text, err == nil && text == "PONG"
}

// TestTLSAuthClientsMatrixRedisCLI: the tls-auth-clients matrix against the real redis-cli. yes refuses a
// client without a certificate and accepts a CA-signed one; optional accepts both; no accepts every
// client; a certificate from another CA is refused in every mode that asks for one (yes, optional).
func TestTLSAuthClientsMatrixRedisCLI(t *testing.T) {
	cli := requireBinary(t, "redis-cli", "redis-tools")
	pki := newTestPKI(t, "matrix CA")
	other := newTestPKI(t, "another CA")
	crt, key, _ := pki.pair("server", leafSpec{})
	goodCrt, goodKey, _ := pki.pair("client", leafSpec{client: true, cn: "good-client"})
	foreignCrt, foreignKey, _ := other.pair("client", leafSpec{client: true, cn: "foreign-client"})
	n := startTLSNode(t, crt, key, pki.caFile)
	admin := n.raw()

	type client struct {
		name     string
		certKey  []string
		accepted map[string]bool // by mode
	}
	clients := []client{
		{"no certificate", nil, map[string]bool{"yes": false, "optional": true, "no": true}},
		{"CA-signed certificate", []string{goodCrt, goodKey}, map[string]bool{"yes": true, "optional": true, "no": true}},
		{"certificate from another CA", []string{foreignCrt, foreignKey}, map[string]bool{"yes": false, "optional": false, "no": true}},
	}
	for _, mode := range []string{"yes", "optional", "no"} {
		if got := admin.do("CONFIG", "SET", "tls-auth-clients", mode); got != "OK" {
			t.Fatalf("CONFIG SET tls-auth-clients %s: %s", mode, got)
		}
		for _, c := range clients {
			before := strings.Count(n.logs.String(), "Error accepting a client connection")
			out, pong := cliPing(t, cli, n.tlsAddr, pki.caFile, c.certKey...)
			if pong != c.accepted[mode] {
				t.Errorf("tls-auth-clients %s, %s: redis-cli said %q, want accepted=%v", mode, c.name, out, c.accepted[mode])
			}
			if !c.accepted[mode] {
				t.Logf("tls-auth-clients %s, %s: redis-cli: %s", mode, c.name, out)
				waitFor(t, "the refusal in the log", func() bool {
					return strings.Count(n.logs.String(), "Error accepting a client connection") > before
				})
			}
		}
	}

	// the change applies to the next connection only
	if got := admin.do("CONFIG", "SET", "tls-auth-clients", "no"); got != "OK" {
		t.Fatal(got)
	}
	early := tlsRaw(t, n.tlsAddr, pki.clientConfig(nil))
	if got := admin.do("CONFIG", "SET", "tls-auth-clients", "yes"); got != "OK" {
		t.Fatal(got)
	}
	if got := early.do("PING"); got != "PONG" {
		t.Errorf("a connection made under 'no' was affected by 'yes': %s", got)
	}
	if out, pong := cliPing(t, cli, n.tlsAddr, pki.caFile); pong {
		t.Errorf("redis-cli without a certificate accepted under 'yes': %q", out)
	}
}
