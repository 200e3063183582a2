package tlsmat

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"time"
)

// Session tickets stand in for OpenSSL's server-side session cache (tls-session-caching). crypto/tls has
// no ticket lifetime setting, so each ticket carries its issue time in SessionState.Extra and
// unwrapSession refuses tickets older than tls-session-cache-timeout.

var ticketStampPrefix = []byte("valkey-node/tlsmat/issued/v1:")

func (m *material) wrapSession(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
	stamp := make([]byte, len(ticketStampPrefix)+8)
	copy(stamp, ticketStampPrefix)
	binary.BigEndian.PutUint64(stamp[len(ticketStampPrefix):], uint64(m.clock().Unix()))
	ss.Extra = append(ss.Extra, stamp)
	return m.ticketer.EncryptTicket(cs, ss)
}

func (m *material) unwrapSession(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
	ss, err := m.ticketer.DecryptTicket(identity, cs)
	if err != nil || ss == nil {
		// Not ours (e.g. issued for previous material) or corrupt: fall back to a full handshake rather
		// than failing the connection.
		return nil, nil
	}
	for _, e := range ss.Extra {
		if len(e) == len(ticketStampPrefix)+8 && bytes.HasPrefix(e, ticketStampPrefix) {
			issued := time.Unix(int64(binary.BigEndian.Uint64(e[len(ticketStampPrefix):])), 0)
			age := m.clock().Sub(issued)
			if age < -time.Minute || age > m.ticketTTL {
				return nil, nil
			}
			return ss, nil
		}
	}
	return nil, nil
}
