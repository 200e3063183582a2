package tlsmat

import (
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Info holds the INFO tls fields (spec §1.3). Serials are "none" and expiries 0 when absent.
type Info struct {
	ServerSerial, ClientSerial, CASerial          string
	ServerExpiresIn, ClientExpiresIn, CAExpiresIn int64 // seconds; negative once expired
}

// Lines renders the fields as INFO lines ("name:value"), in Valkey's order.
func (i Info) Lines() []string {
	return []string{
		"tls_server_cert_serial:" + i.ServerSerial,
		fmt.Sprintf("tls_server_cert_expires_in_seconds:%d", i.ServerExpiresIn),
		"tls_client_cert_serial:" + i.ClientSerial,
		fmt.Sprintf("tls_client_cert_expires_in_seconds:%d", i.ClientExpiresIn),
		"tls_ca_cert_serial:" + i.CASerial,
		fmt.Sprintf("tls_ca_cert_expires_in_seconds:%d", i.CAExpiresIn),
	}
}

// Info returns the INFO tls fields of the published material: the server certificate, the client
// certificate (only when both client files are configured) and the earliest-expiring CA over
// tls-ca-cert-file and tls-ca-cert-dir (the file wins a tie, as in Valkey).
func (m *Manager) Info() Info {
	info := Info{ServerSerial: "none", ClientSerial: "none", CASerial: "none"}
	mat := m.cur.Load()
	if mat == nil {
		return info
	}
	now := m.clock()
	leaf := mat.serverInfo.leaf()
	info.ServerSerial, info.ServerExpiresIn = serialHex(leaf.SerialNumber), secondsUntil(leaf.NotAfter, now)
	if mat.clientInfo != nil && mat.client != nil {
		leaf := mat.clientInfo.leaf()
		info.ClientSerial, info.ClientExpiresIn = serialHex(leaf.SerialNumber), secondsUntil(leaf.NotAfter, now)
	}
	var earliest *caCert
	for i := range mat.cas {
		if earliest == nil || mat.cas[i].cert.NotAfter.Before(earliest.cert.NotAfter) {
			earliest = &mat.cas[i]
		}
	}
	if earliest != nil {
		info.CASerial, info.CAExpiresIn = serialHex(earliest.cert.SerialNumber), secondsUntil(earliest.cert.NotAfter, now)
	}
	return info
}

func secondsUntil(t, now time.Time) int64 { return int64(t.Sub(now) / time.Second) }

// serialHex formats a serial number as OpenSSL's BN_bn2hex does (what Valkey prints): uppercase, whole
// bytes without leading zero bytes, "0" for zero, a leading '-' for the (invalid but parseable) negatives.
func serialHex(n *big.Int) string {
	if n == nil {
		return "none"
	}
	if n.Sign() == 0 {
		return "0"
	}
	s := strings.ToUpper(fmt.Sprintf("%x", new(big.Int).Abs(n).Bytes()))
	if n.Sign() < 0 {
		return "-" + s
	}
	return s
}
