package tlsmat

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"
)

// Check loads the material of cfg exactly as Load would, without publishing anything, and returns a
// human-readable report: for every certificate its file, subject, issuer, SANs, serial, validity and key
// type, then the protocol and cipher settings, and "OK". On failure the report covers what was loaded
// before the first problem, ends with "FAILED: <reason>", and err is that problem (an *Error). This backs
// `valkey-node check-tls`. A config with TLS disabled (Enabled false) has nothing to check.
func Check(cfg Config) (report string, err error) {
	if !cfg.Enabled {
		return "TLS is not enabled (tls-port 0, tls-replication no, tls-cluster no): nothing to check\n", nil
	}
	mat, b, err := build(cfg, time.Now)
	if mat == nil {
		mat = b.mat
	}
	var sb strings.Builder
	now := b.now
	writeChain := func(c *certChain) {
		if c == nil {
			return
		}
		fmt.Fprintf(&sb, "%s %s\n", c.directive, c.path)
		for i, cert := range c.chain {
			label := "certificate"
			if i > 0 {
				label = fmt.Sprintf("intermediate #%d", i)
			}
			writeCert(&sb, label, cert, now)
		}
		if c.keyDesc != "" {
			keyDir := "tls-key-file"
			if c.directive == "tls-client-cert-file" {
				keyDir = "tls-client-key-file"
			}
			fmt.Fprintf(&sb, "%s %s\n  key: %s, matches the certificate\n", keyDir, c.keyPath, c.keyDesc)
		}
	}
	writeChain(mat.serverInfo)
	writeChain(mat.clientInfo)
	lastPath := ""
	for _, ca := range mat.cas {
		if ca.path != lastPath {
			dir := "tls-ca-cert-file"
			if ca.path != cfg.CAFile {
				dir = "tls-ca-cert-dir"
			}
			fmt.Fprintf(&sb, "%s %s\n", dir, ca.path)
			lastPath = ca.path
		}
		writeCert(&sb, "CA certificate", ca.cert, now)
	}
	for _, w := range b.warnings {
		fmt.Fprintf(&sb, "warning: %s", w.msg)
		if w.path != "" {
			fmt.Fprintf(&sb, ": %s", w.path)
		}
		if w.reason != "" {
			fmt.Fprintf(&sb, " (%s)", w.reason)
		}
		sb.WriteString("\n")
	}
	if err != nil {
		fmt.Fprintf(&sb, "FAILED: %s\n", err)
		return sb.String(), err
	}

	fmt.Fprintf(&sb, "tls-protocols: %s\n", protocolRangeString(mat.minVersion, mat.maxVersion))
	if mat.suites == nil {
		sb.WriteString("tls-ciphers: Go defaults\n")
	} else {
		fmt.Fprintf(&sb, "tls-ciphers: %s\n", suiteNames(mat.suites))
	}
	if mat.tls13Suites != nil {
		fmt.Fprintf(&sb, "tls-ciphersuites: %s (validated; Go always enables %s)\n", suiteNames(mat.tls13Suites), tls13Names())
	}
	if mat.dhBits > 0 {
		fmt.Fprintf(&sb, "tls-dh-params-file: %d-bit DH parameters (validated; unused by Go)\n", mat.dhBits)
	}
	if mat.ticketsOn {
		fmt.Fprintf(&sb, "tls-session-caching: session tickets, lifetime %s\n", mat.ticketTTL)
	} else {
		sb.WriteString("tls-session-caching: off\n")
	}
	if mat.client == nil {
		sb.WriteString("outgoing links present: tls-cert-file\n")
	} else {
		sb.WriteString("outgoing links present: tls-client-cert-file\n")
	}
	sb.WriteString("OK\n")
	return sb.String(), nil
}

func writeCert(sb *strings.Builder, label string, c *x509.Certificate, now time.Time) {
	const layout = "2006-01-02 15:04:05 MST"
	fmt.Fprintf(sb, "  %s:\n", label)
	fmt.Fprintf(sb, "    subject:    %s\n", c.Subject)
	fmt.Fprintf(sb, "    issuer:     %s\n", c.Issuer)
	if sans := sanList(c); len(sans) > 0 {
		fmt.Fprintf(sb, "    SANs:       %s\n", strings.Join(sans, ", "))
	} else {
		sb.WriteString("    SANs:       none\n")
	}
	fmt.Fprintf(sb, "    serial:     %s\n", serialHex(c.SerialNumber))
	fmt.Fprintf(sb, "    not before: %s\n", c.NotBefore.UTC().Format(layout))
	left := c.NotAfter.Sub(now).Round(time.Hour)
	fmt.Fprintf(sb, "    not after:  %s (in %s)\n", c.NotAfter.UTC().Format(layout), humanDays(left))
	fmt.Fprintf(sb, "    key:        %s\n", keyDescription(c.PublicKey))
}

func sanList(c *x509.Certificate) []string {
	var out []string
	for _, d := range c.DNSNames {
		out = append(out, "DNS:"+d)
	}
	for _, ip := range c.IPAddresses {
		out = append(out, "IP:"+ip.String())
	}
	for _, e := range c.EmailAddresses {
		out = append(out, "email:"+e)
	}
	for _, u := range Identity(c, "URI") {
		out = append(out, "URI:"+u)
	}
	return out
}

func humanDays(d time.Duration) string {
	if d < 0 {
		return "the past: expired"
	}
	days := int(d / (24 * time.Hour))
	if days >= 1 {
		return fmt.Sprintf("%d days", days)
	}
	return d.String()
}
