package tlsmat

import (
	"crypto/tls"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// suite describes one TLS 1.0-1.2 cipher suite Go implements, under its OpenSSL name, with the attributes
// OpenSSL's cipher-string aliases select on.
type suite struct {
	name   string // OpenSSL name
	id     uint16
	kx     string // "kRSA" | "kECDHE"
	au     string // "aRSA" | "aECDSA"
	enc    string // "AES128" | "AES256" | "CHACHA20" | "3DES"
	gcm    bool
	mac    string // "SHA1" | "SHA256" | "SHA384" | "AEAD"
	tls12  bool   // only usable with TLS 1.2
	medium bool   // OpenSSL strength MEDIUM (3DES); everything else is HIGH
}

// goSuites lists every TLS 1.0-1.2 suite of Go's crypto/tls except RC4, which OpenSSL 3 no longer
// offers and which is refused here as well.
var goSuites = []suite{
	{"ECDHE-ECDSA-AES256-GCM-SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "kECDHE", "aECDSA", "AES256", true, "AEAD", true, false},
	{"ECDHE-RSA-AES256-GCM-SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "kECDHE", "aRSA", "AES256", true, "AEAD", true, false},
	{"ECDHE-ECDSA-CHACHA20-POLY1305", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "kECDHE", "aECDSA", "CHACHA20", false, "AEAD", true, false},
	{"ECDHE-RSA-CHACHA20-POLY1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "kECDHE", "aRSA", "CHACHA20", false, "AEAD", true, false},
	{"ECDHE-ECDSA-AES128-GCM-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "kECDHE", "aECDSA", "AES128", true, "AEAD", true, false},
	{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "kECDHE", "aRSA", "AES128", true, "AEAD", true, false},
	{"ECDHE-ECDSA-AES128-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "kECDHE", "aECDSA", "AES128", false, "SHA256", true, false},
	{"ECDHE-RSA-AES128-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "kECDHE", "aRSA", "AES128", false, "SHA256", true, false},
	{"ECDHE-ECDSA-AES256-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "kECDHE", "aECDSA", "AES256", false, "SHA1", false, false},
	{"ECDHE-RSA-AES256-SHA", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "kECDHE", "aRSA", "AES256", false, "SHA1", false, false},
	{"ECDHE-ECDSA-AES128-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "kECDHE", "aECDSA", "AES128", false, "SHA1", false, false},
	{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "kECDHE", "aRSA", "AES128", false, "SHA1", false, false},
	{"AES256-GCM-SHA384", tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "kRSA", "aRSA", "AES256", true, "AEAD", true, false},
	{"AES128-GCM-SHA256", tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "kRSA", "aRSA", "AES128", true, "AEAD", true, false},
	{"AES128-SHA256", tls.TLS_RSA_WITH_AES_128_CBC_SHA256, "kRSA", "aRSA", "AES128", false, "SHA256", true, false},
	{"AES256-SHA", tls.TLS_RSA_WITH_AES_256_CBC_SHA, "kRSA", "aRSA", "AES256", false, "SHA1", false, false},
	{"AES128-SHA", tls.TLS_RSA_WITH_AES_128_CBC_SHA, "kRSA", "aRSA", "AES128", false, "SHA1", false, false},
	{"ECDHE-RSA-DES-CBC3-SHA", tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, "kECDHE", "aRSA", "3DES", false, "SHA1", false, true},
	{"DES-CBC3-SHA", tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, "kRSA", "aRSA", "3DES", false, "SHA1", false, true},
}

// opensslOnlyCiphers are OpenSSL cipher names Go does not implement. Adding one is refused with a reason
// that says so (rather than "unknown"); removing one (-NAME, !NAME) is harmless and accepted.
var opensslOnlyCiphers = toSet(`
ADH-AES128-GCM-SHA256 ADH-AES128-SHA ADH-AES128-SHA256 ADH-AES256-GCM-SHA384 ADH-AES256-SHA
ADH-AES256-SHA256 ADH-CAMELLIA128-SHA ADH-CAMELLIA128-SHA256 ADH-CAMELLIA256-SHA ADH-CAMELLIA256-SHA256
AECDH-AES128-SHA AECDH-AES256-SHA AECDH-NULL-SHA AES128-CCM AES128-CCM8 AES256-CCM AES256-CCM8
AES256-SHA256 ARIA128-GCM-SHA256 ARIA256-GCM-SHA384 CAMELLIA128-SHA CAMELLIA128-SHA256
CAMELLIA256-SHA CAMELLIA256-SHA256 DHE-DSS-AES128-GCM-SHA256 DHE-DSS-AES128-SHA DHE-DSS-AES128-SHA256
DHE-DSS-AES256-GCM-SHA384 DHE-DSS-AES256-SHA DHE-DSS-AES256-SHA256 DHE-DSS-ARIA128-GCM-SHA256
DHE-DSS-ARIA256-GCM-SHA384 DHE-DSS-CAMELLIA128-SHA DHE-DSS-CAMELLIA128-SHA256 DHE-DSS-CAMELLIA256-SHA
DHE-DSS-CAMELLIA256-SHA256 DHE-PSK-AES128-CBC-SHA DHE-PSK-AES128-CBC-SHA256 DHE-PSK-AES128-CCM
DHE-PSK-AES128-CCM8 DHE-PSK-AES128-GCM-SHA256 DHE-PSK-AES256-CBC-SHA DHE-PSK-AES256-CBC-SHA384
DHE-PSK-AES256-CCM DHE-PSK-AES256-CCM8 DHE-PSK-AES256-GCM-SHA384 DHE-PSK-ARIA128-GCM-SHA256
DHE-PSK-ARIA256-GCM-SHA384 DHE-PSK-CAMELLIA128-SHA256 DHE-PSK-CAMELLIA256-SHA384 DHE-PSK-CHACHA20-POLY1305
DHE-PSK-NULL-SHA DHE-PSK-NULL-SHA256 DHE-PSK-NULL-SHA384 DHE-RSA-AES128-CCM DHE-RSA-AES128-CCM8
DHE-RSA-AES128-GCM-SHA256 DHE-RSA-AES128-SHA DHE-RSA-AES128-SHA256 DHE-RSA-AES256-CCM DHE-RSA-AES256-CCM8
DHE-RSA-AES256-GCM-SHA384 DHE-RSA-AES256-SHA DHE-RSA-AES256-SHA256 DHE-RSA-ARIA128-GCM-SHA256
DHE-RSA-ARIA256-GCM-SHA384 DHE-RSA-CAMELLIA128-SHA DHE-RSA-CAMELLIA128-SHA256 DHE-RSA-CAMELLIA256-SHA
DHE-RSA-CAMELLIA256-SHA256 DHE-RSA-CHACHA20-POLY1305 ECDHE-ARIA128-GCM-SHA256 ECDHE-ARIA256-GCM-SHA384
ECDHE-ECDSA-AES128-CCM ECDHE-ECDSA-AES128-CCM8 ECDHE-ECDSA-AES256-CCM ECDHE-ECDSA-AES256-CCM8
ECDHE-ECDSA-AES256-SHA384 ECDHE-ECDSA-ARIA128-GCM-SHA256 ECDHE-ECDSA-ARIA256-GCM-SHA384
ECDHE-ECDSA-CAMELLIA128-SHA256 ECDHE-ECDSA-CAMELLIA256-SHA384 ECDHE-ECDSA-NULL-SHA ECDHE-PSK-AES128-CBC-SHA
ECDHE-PSK-AES128-CBC-SHA256 ECDHE-PSK-AES256-CBC-SHA ECDHE-PSK-AES256-CBC-SHA384 ECDHE-PSK-CAMELLIA128-SHA256
ECDHE-PSK-CAMELLIA256-SHA384 ECDHE-PSK-CHACHA20-POLY1305 ECDHE-PSK-NULL-SHA ECDHE-PSK-NULL-SHA256
ECDHE-PSK-NULL-SHA384 ECDHE-RSA-AES256-SHA384 ECDHE-RSA-CAMELLIA128-SHA256 ECDHE-RSA-CAMELLIA256-SHA384
ECDHE-RSA-NULL-SHA NULL-MD5 NULL-SHA NULL-SHA256 PSK-AES128-CBC-SHA PSK-AES128-CBC-SHA256
PSK-AES128-CCM PSK-AES128-CCM8 PSK-AES128-GCM-SHA256 PSK-AES256-CBC-SHA PSK-AES256-CBC-SHA384
PSK-AES256-CCM PSK-AES256-CCM8 PSK-AES256-GCM-SHA384 PSK-ARIA128-GCM-SHA256 PSK-ARIA256-GCM-SHA384
PSK-CAMELLIA128-SHA256 PSK-CAMELLIA256-SHA384 PSK-CHACHA20-POLY1305 PSK-NULL-SHA PSK-NULL-SHA256
PSK-NULL-SHA384 RSA-PSK-AES128-CBC-SHA RSA-PSK-AES128-CBC-SHA256 RSA-PSK-AES128-GCM-SHA256
RSA-PSK-AES256-CBC-SHA RSA-PSK-AES256-CBC-SHA384 RSA-PSK-AES256-GCM-SHA384 RSA-PSK-ARIA128-GCM-SHA256
RSA-PSK-ARIA256-GCM-SHA384 RSA-PSK-CAMELLIA128-SHA256 RSA-PSK-CAMELLIA256-SHA384 RSA-PSK-CHACHA20-POLY1305
RSA-PSK-NULL-SHA RSA-PSK-NULL-SHA256 RSA-PSK-NULL-SHA384 SRP-AES-128-CBC-SHA SRP-AES-256-CBC-SHA
SRP-DSS-AES-128-CBC-SHA SRP-DSS-AES-256-CBC-SHA SRP-RSA-AES-128-CBC-SHA SRP-RSA-AES-256-CBC-SHA
RC4-SHA RC4-MD5 ECDHE-RSA-RC4-SHA ECDHE-ECDSA-RC4-SHA EDH-RSA-DES-CBC3-SHA EDH-DSS-DES-CBC3-SHA
DHE-RSA-DES-CBC3-SHA DHE-DSS-DES-CBC3-SHA ECDHE-ECDSA-DES-CBC3-SHA DES-CBC-SHA SEED-SHA IDEA-CBC-SHA
`)

// cipherAliases are the OpenSSL cipher-string aliases understood here, as predicates over goSuites.
// Aliases for families Go lacks (DHE, PSK, CAMELLIA, NULL, ...) are valid and simply select nothing.
var cipherAliases = map[string]func(s suite) bool{
	"ALL": func(suite) bool { return true },
	// OpenSSL 3's DEFAULT minus what Go lacks: every AES/ChaCha suite, no 3DES.
	"DEFAULT":             func(s suite) bool { return !s.medium },
	"COMPLEMENTOFDEFAULT": func(s suite) bool { return s.medium },
	"COMPLEMENTOFALL":     none,
	"HIGH":                func(s suite) bool { return !s.medium },
	"MEDIUM":              func(s suite) bool { return s.medium },
	"LOW":                 none,
	"EXPORT":              none,
	"kRSA":                func(s suite) bool { return s.kx == "kRSA" },
	"RSA":                 func(s suite) bool { return s.kx == "kRSA" },
	"aRSA":                func(s suite) bool { return s.au == "aRSA" },
	"kECDHE":              func(s suite) bool { return s.kx == "kECDHE" },
	"kEECDH":              func(s suite) bool { return s.kx == "kECDHE" },
	"ECDHE":               func(s suite) bool { return s.kx == "kECDHE" },
	"EECDH":               func(s suite) bool { return s.kx == "kECDHE" },
	"ECDH":                func(s suite) bool { return s.kx == "kECDHE" },
	"aECDSA":              func(s suite) bool { return s.au == "aECDSA" },
	"ECDSA":               func(s suite) bool { return s.au == "aECDSA" },
	"AES":                 func(s suite) bool { return s.enc == "AES128" || s.enc == "AES256" },
	"AES128":              func(s suite) bool { return s.enc == "AES128" },
	"AES256":              func(s suite) bool { return s.enc == "AES256" },
	"AESGCM":              func(s suite) bool { return s.gcm },
	"CHACHA20":            func(s suite) bool { return s.enc == "CHACHA20" },
	"3DES":                func(s suite) bool { return s.enc == "3DES" },
	"SHA1":                func(s suite) bool { return s.mac == "SHA1" },
	"SHA":                 func(s suite) bool { return s.mac == "SHA1" },
	"SHA256":              func(s suite) bool { return s.mac == "SHA256" },
	"SHA384":              func(s suite) bool { return s.mac == "SHA384" },
	"TLSv1.2":             func(s suite) bool { return s.tls12 },
	"TLSv1.0":             func(s suite) bool { return !s.tls12 },
	"TLSv1":               func(s suite) bool { return !s.tls12 },
	"SSLv3":               func(s suite) bool { return !s.tls12 },
	// Families Go does not implement.
	"aNULL": none, "eNULL": none, "NULL": none, "ADH": none, "AECDH": none, "kDHE": none, "kEDH": none,
	"DH": none, "DHE": none, "EDH": none, "kDHEPSK": none, "kECDHEPSK": none, "kRSAPSK": none, "kPSK": none,
	"aPSK": none, "PSK": none, "kSRP": none, "aSRP": none, "SRP": none, "aDSS": none, "DSS": none,
	"CAMELLIA": none, "CAMELLIA128": none, "CAMELLIA256": none, "ARIA": none, "ARIA128": none,
	"ARIA256": none, "ARIAGCM": none, "AESCCM": none, "AESCCM8": none, "CCM": none, "CCM8": none,
	"SEED": none, "IDEA": none, "RC4": none, "RC2": none, "DES": none, "MD5": none, "aGOST": none,
	"kGOST": none, "GOST89MAC": none, "aGOST01": none, "kECDH": none,
}

func none(suite) bool { return false }

func toSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[strings.ToUpper(f)] = true
	}
	return m
}

var tls13Suites = map[string]uint16{
	"TLS_AES_128_GCM_SHA256":       tls.TLS_AES_128_GCM_SHA256,
	"TLS_AES_256_GCM_SHA384":       tls.TLS_AES_256_GCM_SHA384,
	"TLS_CHACHA20_POLY1305_SHA256": tls.TLS_CHACHA20_POLY1305_SHA256,
}

var tls13OpenSSLOnly = map[string]bool{"TLS_AES_128_CCM_SHA256": true, "TLS_AES_128_CCM_8_SHA256": true}

// lookupTerm resolves one name of a cipher string (a suite name or an alias) to a predicate.
// opensslOnly is set for a known OpenSSL suite Go does not implement.
func lookupTerm(term string) (pred func(suite) bool, opensslOnly bool, err error) {
	for k, p := range cipherAliases {
		if strings.EqualFold(k, term) {
			return p, false, nil
		}
	}
	for _, s := range goSuites {
		if strings.EqualFold(s.name, term) {
			id := s.id
			return func(x suite) bool { return x.id == id }, false, nil
		}
	}
	up := strings.ToUpper(term)
	if opensslOnlyCiphers[up] {
		return none, true, nil
	}
	if _, ok := tls13Suites[up]; ok || tls13OpenSSLOnly[up] {
		return nil, false, fmt.Errorf("%q is a TLS 1.3 suite: configure it with tls-ciphersuites", term)
	}
	return nil, false, fmt.Errorf("unknown cipher %q", term)
}

// ParseCiphers maps an OpenSSL cipher string (tls-ciphers) to Go suite IDs, following OpenSSL's grammar:
// elements separated by ':' (or ',', ';', space); "A+B" selects the suites matching both; a prefix '-'
// removes, '!' removes for good, '+' moves to the end; "@STRENGTH" and "@SECLEVEL=n" are accepted and
// ignored (Go orders suites itself). "" returns nil, i.e. Go's default suites.
func ParseCiphers(s string) ([]uint16, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	fail := func(err error) ([]uint16, error) {
		return nil, &Error{Msg: MsgCiphers, Directive: "tls-ciphers", Err: fmt.Errorf("%s: %w", s, err)}
	}
	var list []suite
	banned := map[uint16]bool{}
	has := func(id uint16) int {
		for i, x := range list {
			if x.id == id {
				return i
			}
		}
		return -1
	}
	elems := strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ';' || r == ' ' })
	for _, el := range elems {
		op := byte(0)
		if strings.ContainsRune("!-+", rune(el[0])) {
			op, el = el[0], el[1:]
		}
		if strings.HasPrefix(el, "@") {
			up := strings.ToUpper(el)
			if op == 0 && (up == "@STRENGTH" || strings.HasPrefix(up, "@SECLEVEL=")) {
				continue
			}
			return fail(fmt.Errorf("unknown cipher command %q", el))
		}
		var preds []func(suite) bool
		for _, term := range strings.Split(el, "+") {
			if term == "" {
				return fail(fmt.Errorf("malformed cipher element %q", el))
			}
			p, opensslOnly, err := lookupTerm(term)
			if err != nil {
				return fail(err)
			}
			if opensslOnly && (op == 0 || op == '+') {
				return fail(fmt.Errorf("cipher %q is not supported by Go's crypto/tls", term))
			}
			preds = append(preds, p)
		}
		match := func(x suite) bool {
			for _, p := range preds {
				if !p(x) {
					return false
				}
			}
			return true
		}
		switch op {
		case 0:
			for _, x := range goSuites {
				if match(x) && !banned[x.id] && has(x.id) < 0 {
					list = append(list, x)
				}
			}
		case '-', '!':
			kept := list[:0]
			for _, x := range list {
				if !match(x) {
					kept = append(kept, x)
				}
			}
			list = kept
			if op == '!' {
				for _, x := range goSuites {
					if match(x) {
						banned[x.id] = true
					}
				}
			}
		case '+':
			var moved, kept []suite
			for _, x := range list {
				if match(x) {
					moved = append(moved, x)
				} else {
					kept = append(kept, x)
				}
			}
			list = append(kept, moved...)
		}
	}
	if len(list) == 0 {
		return fail(errors.New("no cipher match"))
	}
	ids := make([]uint16, len(list))
	for i, x := range list {
		ids[i] = x.id
	}
	return ids, nil
}

// ValidateCipherSuites checks a tls-ciphersuites value (TLS 1.3, ':'-separated). Go always enables all of
// its TLS 1.3 suites, so a valid value is accepted but cannot be enforced; the names Go lacks are refused.
// It returns the recognised Go IDs for reporting.
func ValidateCipherSuites(s string) ([]uint16, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	fail := func(err error) ([]uint16, error) {
		return nil, &Error{Msg: MsgCipherSuites, Directive: "tls-ciphersuites", Err: fmt.Errorf("%s: %w", s, err)}
	}
	var ids []uint16
	for _, name := range strings.Split(s, ":") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		up := strings.ToUpper(name)
		if id, ok := tls13Suites[up]; ok {
			ids = append(ids, id)
			continue
		}
		if tls13OpenSSLOnly[up] {
			return fail(fmt.Errorf("ciphersuite %q is not supported by Go's crypto/tls", name))
		}
		return fail(fmt.Errorf("unknown ciphersuite %q", name))
	}
	if len(ids) == 0 {
		return fail(errors.New("no ciphersuite given"))
	}
	return ids, nil
}

// suiteNames renders suite IDs with their OpenSSL names, for reports.
func suiteNames(ids []uint16) string {
	names := make([]string, 0, len(ids))
	for _, id := range ids {
		n := tls.CipherSuiteName(id)
		for _, s := range goSuites {
			if s.id == id {
				n = s.name
			}
		}
		names = append(names, n)
	}
	return strings.Join(names, ":")
}

// tls13Names returns Go's TLS 1.3 suite names in a stable order, for reports.
func tls13Names() string {
	names := make([]string, 0, len(tls13Suites))
	for n := range tls13Suites {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ":")
}
