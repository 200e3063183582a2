package tlsmat

import (
	"crypto/tls"
	"path/filepath"
	"testing"
)

// BenchmarkHandshake measures complete TLS handshakes per second on a loopback listener served by
// ServerConfig (tls-auth-clients yes: the client certificate is verified), with a client built by
// ClientConfig (chain verification without hostname check). Each iteration dials, handshakes, exchanges
// one small message (which also delivers the TLS 1.3 session ticket) and closes. "resumed" keeps a
// client session cache, so every iteration after the first resumes.
//
//	go test -run '^$' -bench BenchmarkHandshake -benchtime 2s ./tlsmat/
func BenchmarkHandshake(b *testing.B) {
	for _, alg := range []struct {
		name string
		rsa  bool
	}{{"ECDSA-P256", false}, {"RSA-2048", true}} {
		for _, resume := range []bool{false, true} {
			mode := "full"
			if resume {
				mode = "resumed"
			}
			b.Run(alg.name+"/"+mode, func(b *testing.B) {
				dir := b.TempDir()
				if err := GenerateDevCerts(dir, alg.rsa); err != nil {
					b.Fatal(err)
				}
				cfg := Config{
					CertFile: filepath.Join(dir, "server.crt"), KeyFile: filepath.Join(dir, "server.key"),
					ClientCertFile: filepath.Join(dir, "client.crt"), ClientKeyFile: filepath.Join(dir, "client.key"),
					CAFile: filepath.Join(dir, "ca.crt"), AuthClients: "yes", SessionCaching: true, Enabled: true,
				}
				m, _ := newTestManager(b)
				if err := m.Load(cfg); err != nil {
					b.Fatal(err)
				}
				srv := startServer(b, m.ServerConfig())
				client, err := m.ClientConfig("localhost")
				if err != nil {
					b.Fatal(err)
				}
				if resume {
					client.ClientSessionCache = tls.NewLRUClientSessionCache(8)
				} else {
					client.ClientSessionCache = nil
				}
				b.ResetTimer()
				resumed := 0
				for range b.N {
					c, err := dial(srv.addr, client)
					if err != nil {
						b.Fatal(err)
					}
					if c.ConnectionState().DidResume {
						resumed++
					}
					c.Close()
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "handshakes/s")
				if resume && b.N > 1 && resumed < b.N-1 {
					b.Fatalf("only %d of %d handshakes resumed", resumed, b.N)
				}
				if !resume && resumed != 0 {
					b.Fatalf("%d handshakes resumed without a session cache", resumed)
				}
			})
		}
	}
}
