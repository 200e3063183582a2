package tlsmat

import (
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
)

// dhParameter is PKCS#3's DHParameter, the body of a PEM "DH PARAMETERS" block.
type dhParameter struct {
	P, G               *big.Int
	PrivateValueLength int `asn1:"optional"`
}

// checkDHParams validates a tls-dh-params-file. Go's crypto/tls has no finite-field DHE, so the parameters
// are never used; validating them still catches a wrong or corrupt path before an operator relies on it.
// It returns the prime size in bits.
func checkDHParams(data []byte) (int, error) {
	blocks, err := decodePEM(data)
	if err != nil {
		return 0, fmt.Errorf("failed to read DH params: %w", err)
	}
	for _, b := range blocks {
		if b.Type != "DH PARAMETERS" {
			continue
		}
		var p dhParameter
		if rest, err := asn1.Unmarshal(b.Bytes, &p); err != nil || len(rest) != 0 {
			if err == nil {
				err = errors.New("trailing data")
			}
			return 0, fmt.Errorf("malformed DH PARAMETERS: %w", err)
		}
		one := big.NewInt(1)
		if p.P == nil || p.P.Sign() <= 0 || p.P.Bit(0) == 0 || p.P.BitLen() < 512 {
			return 0, errors.New("DH prime is missing, even or shorter than 512 bits")
		}
		if p.G == nil || p.G.Cmp(one) <= 0 || p.G.Cmp(new(big.Int).Sub(p.P, one)) >= 0 {
			return 0, errors.New("DH generator out of range")
		}
		return p.P.BitLen(), nil
	}
	return 0, errors.New("failed to read DH params: no DH PARAMETERS block found")
}
