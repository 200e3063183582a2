package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestAuthRequirePass(t *testing.T) {
	n := startNode(t, "requirepass", "secret")
	r := n.raw()
	aclExpect(t, r, "-NOAUTH Authentication required.", "GET", "k")
	aclExpect(t, r, "-NOAUTH Authentication required.", "ACL", "WHOAMI")
	aclExpect(t, r, "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "wrong")
	aclExpect(t, r, "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "default", "wrong")
	aclExpect(t, r, "-WRONGPASS invalid username-password pair or user is disabled.", "AUTH", "nosuchuser", "secret")
	aclExpect(t, r, "-ERR syntax error", "AUTH", "a", "b", "c")
	aclExpect(t, r, "-NOAUTH Authentication required.", "GET", "k")
	aclExpect(t, r, "OK", "AUTH", "secret")
	aclExpect(t, r, "(nil)", "GET", "k")
	aclExpect(t, r, `"default"`, "ACL", "WHOAMI")
	r2 := n.raw()
	aclExpect(t, r2, "OK", "AUTH", "default", "secret")
	// RESET drops the authentication
	aclExpect(t, r2, "RESET", "RESET")
	aclExpect(t, r2, "-NOAUTH Authentication required.", "PING")
	if c := aclCounters(n); c[0] != 3 {
		t.Errorf("acl_access_denied_auth = %d, want 3", c[0])
	}
}

func TestAuthWithoutPassword(t *testing.T) {
	n := startNode(t)
	r := n.raw()
	aclExpect(t, r, "-ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?", "AUTH", "x")
	// the two-argument form checks as usual: nopass accepts any password
	aclExpect(t, r, "OK", "AUTH", "default", "anything")
	aclExpect(t, r, "OK", "ACL", "SETUSER", "u", "on", ">p", "+@all", "~*")
	aclExpect(t, r, "OK", "AUTH", "u", "p")
	aclExpect(t, r, `"u"`, "ACL", "WHOAMI")
	aclExpect(t, r, "OK", "AUTH", "default", "x")
	aclExpect(t, r, `"default"`, "ACL", "WHOAMI")
}

func TestHelloAuth(t *testing.T) {
	n := startNode(t, "requirepass", "secret")
	r := n.raw()
	aclExpect(t, r, "-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time", "HELLO", "3")
	aclExpect(t, r, "-WRONGPASS invalid username-password pair or user is disabled.", "HELLO", "3", "AUTH", "default", "wrong")
	// a bad option is refused before any authentication is attempted
	aclExpect(t, r, "-ERR Syntax error in HELLO option 'bogus'", "HELLO", "3", "AUTH", "default", "secret", "bogus")
	aclExpect(t, r, "-NOAUTH Authentication required.", "PING")
	got := r.do("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "me")
	if !strings.HasPrefix(got, `["server" "valkey" "version"`) || !strings.Contains(got, `"proto" :3`) {
		t.Fatalf("HELLO 3 AUTH = %s", got)
	}
	// now RESP3 and authenticated
	aclExpect(t, r, "(nil)", "GET", "k")
	aclExpect(t, r, `"default"`, "ACL", "WHOAMI")
	if c := aclCounters(n); c[0] != 1 {
		t.Errorf("acl_access_denied_auth = %d, want 1", c[0])
	}

	// go-redis authenticates with HELLO 3 AUTH as well
	aclExpect(t, aclAuthAs(t, n, "default", "secret"), "OK", "ACL", "SETUSER", "app", "on", ">apppw", "+@all", "~*")
	ctx := context.Background()
	c := n.client(func(o *redis.Options) { o.Username, o.Password = "app", "apppw" })
	if who, err := c.Do(ctx, "ACL", "WHOAMI").Text(); err != nil || who != "app" {
		t.Fatalf("go-redis ACL WHOAMI = %q, %v", who, err)
	}
	bad := n.client(func(o *redis.Options) { o.Username, o.Password = "app", "nope" })
	if err := bad.Ping(ctx).Err(); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("go-redis with a wrong password: %v", err)
	}
}

func TestRequirePassFollowsDefaultUser(t *testing.T) {
	n := startNode(t)
	admin := n.raw()
	set := func(v string) {
		t.Helper()
		n.srv.mu.Lock()
		err := n.srv.reg.Set([][2]string{{"requirepass", v}}, nil)
		n.srv.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
	}
	get := func() string {
		n.srv.mu.Lock()
		defer n.srv.mu.Unlock()
		return n.srv.reg.Lookup("requirepass").Value.Get()
	}
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "default", ">extra")
	set("x")
	// requirepass makes its password the default user's only one
	aclExpect(t, admin, `["user default on sanitize-payload #`+aclSHA("x")+` ~* &* +@all"]`, "ACL", "LIST")
	aclExpect(t, n.raw(), "-NOAUTH Authentication required.", "PING")
	aclAuthAs(t, n, "default", "x")
	// an ACL change does not rewrite requirepass, as in Valkey
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "default", ">y")
	if v := get(); v != "x" {
		t.Errorf("requirepass = %q after ACL SETUSER, want x", v)
	}
	set("")
	aclExpect(t, admin, `["user default on nopass sanitize-payload ~* &* +@all"]`, "ACL", "LIST")
	aclExpect(t, n.raw(), "PONG", "PING")
	// a disabled default user leaves new connections unauthenticated even with nopass
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "default", "off")
	aclExpect(t, admin, "OK", "ACL", "SETUSER", "ops", "on", ">o", "+@all", "~*")
	r := n.raw()
	aclExpect(t, r, "-NOAUTH Authentication required.", "PING")
	aclExpect(t, r, "OK", "AUTH", "ops", "o")
	aclExpect(t, r, "PONG", "PING")
}

// aclClientCertCN reads the common name of the development client certificate.
func aclClientCertCN(t *testing.T, dir string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "client.crt"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatal("client.crt: no PEM block")
	}
	cert, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName == "" {
		t.Fatal("client certificate has no CN")
	}
	return cert.Subject.CommonName
}

func TestTLSAuthClientsUserCN(t *testing.T) {
	n := startNode(t, "tls", "tls-auth-clients-user", "CN")
	cn := aclClientCertCN(t, n.certs)
	ctx := context.Background()
	whoami := func() string {
		t.Helper()
		c := redis.NewClient(&redis.Options{Addr: n.tlsAddr, TLSConfig: n.tlsClientConfig(true), Protocol: 3, MaxRetries: -1, PoolSize: 1})
		defer c.Close()
		who, err := c.Do(ctx, "ACL", "WHOAMI").Text()
		if err != nil {
			t.Fatalf("ACL WHOAMI over TLS: %v", err)
		}
		return who
	}
	admin := n.raw()
	aclExpect(t, admin, "OK", "ACL", "SETUSER", cn, "on", ">unused", "+@all", "~*")
	if who := whoami(); who != cn {
		t.Fatalf("ACL WHOAMI = %q, want the certificate's CN %q", who, cn)
	}
	if c := aclCounters(n); c[4] != 0 {
		t.Fatalf("acl_access_denied_tls_cert = %d after a match", c[4])
	}

	// a disabled user, and then no user, leave the connection as default; each attempt is counted
	aclExpect(t, admin, "OK", "ACL", "SETUSER", cn, "off")
	if who := whoami(); who != "default" {
		t.Fatalf("with the user disabled: ACL WHOAMI = %q", who)
	}
	aclExpect(t, admin, ":1", "ACL", "DELUSER", cn)
	if who := whoami(); who != "default" {
		t.Fatalf("without the user: ACL WHOAMI = %q", who)
	}
	if c := aclCounters(n); c[4] != 2 {
		t.Fatalf("acl_access_denied_tls_cert = %d, want 2", c[4])
	}
	entries := aclLogEntries(t, admin)
	if len(entries) != 1 || entries[0]["reason"] != "tls-cert" || entries[0]["username"] != cn || entries[0]["count"] != "2" {
		t.Fatalf("ACL LOG = %v", entries)
	}

	// off: the certificate is not looked at
	aclExpect(t, admin, "OK", "ACL", "SETUSER", cn, "on", "+@all", "~*")
	n.srv.mu.Lock()
	err := n.srv.reg.Set([][2]string{{"tls-auth-clients-user", "off"}}, nil)
	n.srv.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if who := whoami(); who != "default" {
		t.Fatalf("tls-auth-clients-user off: ACL WHOAMI = %q", who)
	}
}

// TestTLSAuthClientsUserURI: in URI mode the first SAN URI naming an enabled user wins.
func TestTLSAuthClientsUserURI(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	var uris []*url.URL
	for _, s := range []string{"spiffe://corp/unknown", "spiffe://corp/disabled", "spiffe://corp/svc", "spiffe://corp/later"} {
		u, _ := url.Parse(s)
		uris = append(uris, u)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "cn-user"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), URIs: uris}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	n := startNode(t)
	admin := n.raw()
	for _, u := range [][]string{
		{"spiffe://corp/disabled", "off", "+@all"},
		{"spiffe://corp/svc", "on", "+@all"},
		{"spiffe://corp/later", "on", "+@all"},
		{"cn-user", "on", "+@all"},
	} {
		aclExpect(t, admin, "OK", append([]string{"ACL", "SETUSER"}, u...)...)
	}
	s := n.srv
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, tc := range []struct{ mode, want string }{{"URI", "spiffe://corp/svc"}, {"CN", "cn-user"}, {"off", "default"}} {
		s.cfg.TLS.AuthClientsUser = tc.mode
		c := &Client{srv: s, tls: &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{cert}}}}
		s.acl.onConnect(c)
		s.acl.authByCertificate(c)
		if c.user.Name != tc.want || !c.authed {
			t.Errorf("%s: user %q (authenticated %v), want %q", tc.mode, c.user.Name, c.authed, tc.want)
		}
	}
}
