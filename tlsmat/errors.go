package tlsmat

import (
	"errors"
	"strings"
)

// Messages Valkey logs for TLS configuration failures (spec §1.2). Error.Msg holds one of them, or a
// message in the same style where Valkey has none.
const (
	MsgNoCertFile       = "No tls-cert-file configured!"
	MsgNoKeyFile        = "No tls-key-file configured!"
	MsgCARequired       = "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!"
	MsgInvalidProtocols = "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."
	MsgLoadCert         = "Failed to load certificate"
	MsgLoadKey          = "Failed to load private key"
	MsgServerCertBad    = "Server TLS certificate is invalid. Aborting TLS configuration."
	MsgClientCertBad    = "Client TLS certificate is invalid. Aborting TLS configuration."
	MsgCAConfig         = "Failed to configure CA certificate(s) file/directory"
	MsgCADirOpen        = "Failed to open CA certificate directory"
	MsgCADirLoad        = "Failed to load CA certificates from directory"
	MsgCABad            = "One or more loaded CA certificates are invalid. Aborting TLS configuration."
	MsgCiphers          = "Failed to configure ciphers"
	MsgCipherSuites     = "Failed to configure ciphersuites"
	MsgDHParams         = "Failed to load DH params file"
	MsgAuthClients      = "Invalid tls-auth-clients value. Use 'yes', 'no' or 'optional'."
	MsgSessionCache     = "Invalid TLS session cache setting"
)

// Sentinel reasons, for errors.Is.
var (
	// ErrKeyEncrypted: the private key is encrypted and no passphrase is configured.
	ErrKeyEncrypted = errors.New("private key is encrypted but no passphrase is configured")
	// ErrBadPassphrase: decryption failed, almost always a wrong passphrase.
	ErrBadPassphrase = errors.New("cannot decrypt private key: wrong passphrase or corrupt key")
	// ErrNotConfigured: TLS material has not been loaded (or TLS is disabled).
	ErrNotConfigured = errors.New("tlsmat: TLS is not configured")
)

// Error is the error type returned by Load and Check. It carries Valkey's log text, the directive and file
// involved and the underlying reason, so that callers can both log Valkey's line and name the culprit
// (e.g. CONFIG SET's "possibly related to argument").
type Error struct {
	Msg       string // Valkey-style message, e.g. MsgLoadCert
	Directive string // directive the failure relates to, e.g. "tls-key-file"; may be empty
	Path      string // file or directory involved; may be empty
	Err       error  // underlying reason; may be nil
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	sentence := strings.HasSuffix(e.Msg, ".") || strings.HasSuffix(e.Msg, "!")
	switch {
	case e.Path != "" && sentence:
		b.WriteString(" ")
		b.WriteString(e.Path)
	case e.Path != "":
		b.WriteString(": ")
		b.WriteString(e.Path)
	}
	if e.Err != nil {
		switch {
		case e.Path != "" || !sentence:
			b.WriteString(": ")
			b.WriteString(e.Err.Error())
		default:
			b.WriteString(" (")
			b.WriteString(e.Err.Error())
			b.WriteString(")")
		}
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }
