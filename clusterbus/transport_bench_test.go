package clusterbus

import (
	"testing"

	"github.com/valkey-node/valkey-node/tlsmat"
)

// BenchmarkTransportPacketRoundTrip measures one packet from a to b and its echo back, over the pooled
// packet links (the path of memberlist's probes and acks), in plain TCP and with TLS.
func BenchmarkTransportPacketRoundTrip(b *testing.B) {
	pki := trPKI(b)
	for _, mode := range []string{"plain", "tls"} {
		b.Run(mode, func(b *testing.B) {
			logs := newTrLogs(b, "transports")
			var mx, my *tlsmat.Manager
			if mode == "tls" {
				cfg := trTLSConfig(pki, "")
				mx, my = trManager(b, cfg, logs), trManager(b, cfg, logs)
			}
			x, y := trTransport(b, "c1", mx, logs), trTransport(b, "c1", my, logs)
			payload := make([]byte, 256) // a typical ping or ack is well under this
			xAddr, yAddr := x.addr(), y.addr()
			roundTrip := func() {
				if _, err := x.WriteTo(payload, yAddr); err != nil {
					b.Fatal(err)
				}
				p := <-y.PacketCh()
				if _, err := y.WriteTo(p.Buf, xAddr); err != nil {
					b.Fatal(err)
				}
				<-x.PacketCh()
			}
			roundTrip() // open both links outside the timing
			b.ReportAllocs()
			b.SetBytes(int64(2 * len(payload)))
			for b.Loop() {
				roundTrip()
			}
		})
	}
}
