// Package tlsmat owns the TLS material of a valkey-node process: it loads and validates certificates,
// keys and CA stores from the tls-* directives, publishes them with one atomic pointer swap, reloads them
// in the background when the files change, and hands out *tls.Config values for every role (client-facing
// listener, cluster-bus listener, outgoing replication/cluster/sentinel links).
//
// One Manager exists per process and every role shares it. All methods are safe for concurrent use.
//
// # Material lifecycle
//
// Load builds the complete material (every file read, parsed and validated, every tls.Config built) before
// it publishes anything, so invalid material never replaces valid material: on error the previously
// published material keeps serving. Listeners read the material through tls.Config.GetConfigForClient at
// each handshake and dialers call ClientConfig per dial, so a reload is seen by the next handshake while
// established connections keep their session.
//
// # Where Go's crypto/tls differs from OpenSSL (spec §0, §2.1)
//
//   - tls-ciphers: OpenSSL cipher names and aliases are mapped to Go suite IDs. Names Go does not implement
//     (DHE, CCM, CAMELLIA, ARIA, PSK, AES256-SHA256, ...) are refused with an error naming them. An unset
//     tls-ciphers means Go's default suites (ECDHE only), not OpenSSL's DEFAULT. Go orders suites itself, so
//     the order of the list is not significant.
//   - tls-ciphersuites (TLS 1.3): validated, but Go always enables all of its TLS 1.3 suites; the value
//     cannot be enforced.
//   - tls-prefer-server-ciphers: accepted and ignored (Go picks the suite itself since Go 1.18).
//   - tls-dh-params-file: parsed and validated as PEM "DH PARAMETERS", then unused (Go has no DHE).
//   - tls-protocols: Go takes a contiguous version range; a set with a gap (e.g. "TLSv1 TLSv1.3") is refused
//     rather than silently widened.
//   - tls-session-caching maps to TLS session tickets (Go has no server-side session-ID cache):
//     tls-session-cache-timeout is the ticket lifetime, enforced by this package; tls-session-cache-size has
//     no equivalent with stateless tickets and is only validated. Tickets are bound to the material that
//     issued them: after a reload, old tickets no longer resume.
//   - The Netscape nsCertType extension is ignored by Go; the extended key usage is what counts (a client
//     certificate must allow clientAuth or carry no EKU at all).
//   - No system CA store is ever used: with no CA configured, every peer certificate is refused.
package tlsmat
