package main

// Certificate rotation on running sentinels (tls-auto-reload-interval 1), which Valkey's and Redis's
// sentinels cannot do: each sentinel's certificate files are replaced by a new certificate from the same
// CA; the sentinel reloads it without a restart and serves it to new connections; cut off from the data
// nodes, it reconnects with the reloaded material; and it keeps monitoring — a failover after the
// rotation goes through.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSentinelCertRotation(t *testing.T) {
	rs := newReplSet(t, true, 100, 10, 50)
	// each sentinel reads its own copy of the server certificate, so that one can be replaced at a time
	certDirs := make([]string, 3)
	for i := range certDirs {
		certDirs[i] = t.TempDir()
		for _, f := range []string{"ca.crt", "server.crt", "server.key"} {
			copyFile(t, filepath.Join(rs.certs, f), filepath.Join(certDirs[i], f))
		}
	}
	for i := range certDirs {
		dir := t.TempDir()
		port := rs.ports.pick()
		conf := filepath.Join(dir, "sentinel.conf")
		spec := sentinelSpec{tls: true, quorum: 2}
		lines := rs.sentinelConf(dir, port, spec)
		// the sentinel's own material wins over the shared one (later lines override earlier ones)
		lines = append(lines, tlsConfLines(certDirs[i])...)
		writeConf(t, conf, append(lines, "tls-auto-reload-interval 1"))
		rs.sentinels = append(rs.sentinels, rs.startSentinel(t, i, port, conf, spec))
	}
	rs.debugTiming(t)
	rs.waitDiscovered(t)

	pids := make([]int, len(rs.sentinels))
	for i, sp := range rs.sentinels {
		pids[i] = sp.cmd.Process.Pid
		if got, want := servedSerial(t, sp), readCert(t, filepath.Join(certDirs[i], "server.crt")).SerialNumber; got.Cmp(want) != 0 {
			t.Fatalf("sentinel %d serves serial %x before the rotation, want %x", i, got, want)
		}
	}

	for i, sp := range rs.sentinels {
		serial := issueServerCert(t, rs.certs, certDirs[i])
		waitCond(t, fmt.Sprintf("sentinel %d to serve the new certificate", i), func() error {
			if got := servedSerial(t, sp); got.Cmp(serial) != 0 {
				return fmt.Errorf("serves serial %x, want %x", got, serial)
			}
			return nil
		})
		if !strings.Contains(sp.out.String(), "TLS materials reloaded successfully") {
			t.Errorf("sentinel %d serves the new certificate but did not log the reload", i)
		}
	}

	// new connections work (redis-cli and go-redis), on the same processes, and the sentinels still
	// monitor: every one sees the primary up with both replicas and both other sentinels
	for i, sp := range rs.sentinels {
		if sp.exited() || sp.cmd.Process.Pid != pids[i] {
			t.Fatalf("sentinel %d was restarted", i)
		}
		if res := redisCLI(t, append(sp.cliTLS(true), "SENTINEL", "get-master-addr-by-name", masterName)...); res.code != 0 ||
			!strings.Contains(res.out, fmt.Sprint(rs.nodes[0].port)) {
			t.Errorf("redis-cli --tls to sentinel %d after the rotation: exit %d\n%s", i, res.code, res.out)
		}
	}
	// the sentinels' links to the data nodes are cut, so they must open new ones, with the reloaded
	// material: they reconnect and see every node up again
	for _, d := range rs.nodes {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		for _, typ := range []string{"normal", "pubsub"} {
			// each sentinel has one command and one pub/sub connection to every node
			n, err := d.rdb.Do(ctx, "CLIENT", "KILL", "TYPE", typ).Int()
			if err != nil || n < len(rs.sentinels) {
				t.Fatalf("CLIENT KILL TYPE %s on node %d: %d killed, %v", typ, d.idx, n, err)
			}
		}
		cancel()
	}
	rs.waitDiscovered(t)

	// and a failover, which needs every link (to the replicas, and between the sentinels for the
	// votes), goes through: kill the primary and see it happen
	checkFailover(t, rs, 1)
}

// servedSerial is the serial of the certificate the sentinel presents to a new TLS connection.
func servedSerial(t *testing.T, sp *sentinelProc) *big.Int {
	t.Helper()
	d := &net.Dialer{Timeout: 2 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", sp.tlsAddr(), clientTLS(t, sp.certs, true))
	if err != nil {
		t.Fatalf("TLS dial to sentinel %d: %v", sp.idx, err)
	}
	defer c.Close()
	return c.ConnectionState().PeerCertificates[0].SerialNumber
}

// issueServerCert signs a new server certificate (localhost, 127.0.0.1; server and client use, as
// gen-certs makes) with the CA of caDir, writes it with its new key into dir, replacing server.crt and
// server.key (each by an atomic rename), and returns its serial.
func issueServerCert(t *testing.T, caDir, dir string) *big.Int {
	t.Helper()
	ca := readCert(t, filepath.Join(caDir, "ca.crt"))
	caKey := readKey(t, filepath.Join(caDir, "ca.key"))
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		t.Fatal(err)
	}
	serial.Add(serial, big.NewInt(1))
	now := time.Now().Add(-time.Minute)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"valkey-node e2e"}, CommonName: "localhost"},
		NotBefore:    now, NotAfter: now.AddDate(0, 0, 7),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	// key first: a reload that reads the new key with the old certificate fails and is retried
	writeAtomic(t, filepath.Join(dir, "server.key"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	writeAtomic(t, filepath.Join(dir, "server.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return serial
}

func writeAtomic(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeAtomic(t, to, data)
}
