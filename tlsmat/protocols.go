package tlsmat

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// protocolVersions lists tls-protocols tokens in version order.
var protocolVersions = []struct {
	name    string
	version uint16
}{
	{"TLSv1", tls.VersionTLS10},
	{"TLSv1.1", tls.VersionTLS11},
	{"TLSv1.2", tls.VersionTLS12},
	{"TLSv1.3", tls.VersionTLS13},
}

// DefaultProtocols is what an unset tls-protocols means.
const DefaultProtocols = "TLSv1.2 TLSv1.3"

// ParseProtocols parses a tls-protocols value (space separated, case-insensitive; "" or blank =
// DefaultProtocols)
// into Go's version range. Go cannot disable a version inside the range, so a set with a gap is refused.
func ParseProtocols(s string) (minVersion, maxVersion uint16, err error) {
	if strings.TrimSpace(s) == "" {
		s = DefaultProtocols
	}
	enabled := make([]bool, len(protocolVersions))
	for _, tok := range strings.Fields(s) {
		found := false
		for i, p := range protocolVersions {
			if strings.EqualFold(tok, p.name) {
				enabled[i], found = true, true
			}
		}
		if !found {
			return 0, 0, &Error{Msg: MsgInvalidProtocols, Directive: "tls-protocols", Err: fmt.Errorf("unknown protocol %q", tok)}
		}
	}
	lo, hi := -1, -1
	for i, on := range enabled {
		if on {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	for i := lo; i <= hi; i++ {
		if !enabled[i] {
			return 0, 0, &Error{Msg: MsgInvalidProtocols, Directive: "tls-protocols", Err: fmt.Errorf(
				"Go's crypto/tls cannot disable %s while enabling %s and %s; list a contiguous range",
				protocolVersions[i].name, protocolVersions[lo].name, protocolVersions[hi].name)}
		}
	}
	return protocolVersions[lo].version, protocolVersions[hi].version, nil
}

// protocolRangeString renders a version range as a tls-protocols value.
func protocolRangeString(minVersion, maxVersion uint16) string {
	var names []string
	for _, p := range protocolVersions {
		if p.version >= minVersion && p.version <= maxVersion {
			names = append(names, p.name)
		}
	}
	return strings.Join(names, " ")
}
