package tlsmat

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// parsePrivateKey decodes the first private key in a PEM file, decrypting it with pass when it is encrypted
// (legacy "Proc-Type: 4,ENCRYPTED" PEM or PKCS#8 "ENCRYPTED PRIVATE KEY"). passDirective names the
// directive to mention when a passphrase is missing. A passphrase given for an unencrypted key is ignored,
// as OpenSSL does.
func parsePrivateKey(data []byte, pass, passDirective string) (crypto.Signer, error) {
	blocks, err := decodePEM(data)
	if err != nil {
		return nil, err
	}
	var block *pem.Block
	for _, b := range blocks {
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			block = b
			break
		}
	}
	if block == nil {
		return nil, errors.New("no PRIVATE KEY block found")
	}

	der := block.Bytes
	switch {
	case block.Type == "ENCRYPTED PRIVATE KEY":
		if pass == "" {
			return nil, fmt.Errorf("%w (set %s)", ErrKeyEncrypted, passDirective)
		}
		if der, err = decryptPKCS8(der, []byte(pass)); err != nil {
			return nil, err
		}
		key, err := parseDERKey("PRIVATE KEY", der)
		if err != nil {
			// PBES2 has no integrity check: a wrong passphrase that happens to leave valid padding is
			// only noticed here.
			return nil, ErrBadPassphrase
		}
		return key, nil
	case block.Headers["Proc-Type"] == "4,ENCRYPTED":
		if pass == "" {
			return nil, fmt.Errorf("%w (set %s)", ErrKeyEncrypted, passDirective)
		}
		if der, err = decryptLegacyPEM(block, []byte(pass)); err != nil {
			return nil, err
		}
		key, err := parseDERKey(block.Type, der)
		if err != nil {
			return nil, ErrBadPassphrase
		}
		return key, nil
	default:
		return parseDERKey(block.Type, der)
	}
}

// parseDERKey parses an unencrypted key, trusting the PEM type first and falling back to the other
// encodings because files in the wild are not always labelled correctly.
func parseDERKey(pemType string, der []byte) (crypto.Signer, error) {
	var parsers []func([]byte) (any, error)
	pkcs1 := func(b []byte) (any, error) { return x509.ParsePKCS1PrivateKey(b) }
	sec1 := func(b []byte) (any, error) { return x509.ParseECPrivateKey(b) }
	switch pemType {
	case "RSA PRIVATE KEY":
		parsers = append(parsers, pkcs1, x509.ParsePKCS8PrivateKey)
	case "EC PRIVATE KEY":
		parsers = append(parsers, sec1, x509.ParsePKCS8PrivateKey)
	case "PRIVATE KEY":
		parsers = append(parsers, x509.ParsePKCS8PrivateKey, pkcs1, sec1)
	default:
		return nil, fmt.Errorf("unsupported key block %q (supported: PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY, ENCRYPTED PRIVATE KEY)", pemType)
	}
	var firstErr error
	for _, p := range parsers {
		k, err := p(der)
		if err == nil {
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("unsupported private key type %T", k)
			}
			return s, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, fmt.Errorf("malformed private key: %w", firstErr)
}

// legacyCiphers are the DEK-Info algorithms of OpenSSL's traditional encrypted PEM format.
var legacyCiphers = map[string]struct {
	keyLen int
	block  func([]byte) (cipher.Block, error)
}{
	"AES-128-CBC":  {16, aes.NewCipher},
	"AES-192-CBC":  {24, aes.NewCipher},
	"AES-256-CBC":  {32, aes.NewCipher},
	"DES-EDE3-CBC": {24, des.NewTripleDESCipher},
	"DES-CBC":      {8, des.NewCipher},
}

// decryptLegacyPEM decrypts a "Proc-Type: 4,ENCRYPTED" block. The key is OpenSSL's EVP_BytesToKey with MD5,
// one iteration and the first 8 bytes of the IV as salt. Implemented here because x509.DecryptPEMBlock is
// deprecated.
func decryptLegacyPEM(b *pem.Block, pass []byte) ([]byte, error) {
	dek := b.Headers["DEK-Info"]
	alg, ivHex, ok := strings.Cut(dek, ",")
	if !ok {
		return nil, fmt.Errorf("malformed DEK-Info header %q", dek)
	}
	spec, ok := legacyCiphers[strings.ToUpper(strings.TrimSpace(alg))]
	if !ok {
		return nil, fmt.Errorf("unsupported PEM encryption %q", alg)
	}
	iv, err := hex.DecodeString(strings.TrimSpace(ivHex))
	if err != nil || len(iv) < 8 {
		return nil, fmt.Errorf("malformed DEK-Info IV %q", ivHex)
	}
	key := evpBytesToKey(pass, iv[:8], spec.keyLen)
	blk, err := spec.block(key)
	if err != nil {
		return nil, err
	}
	return cbcDecrypt(blk, iv, b.Bytes)
}

// evpBytesToKey is OpenSSL's EVP_BytesToKey with MD5 and a count of 1:
// D_1 = MD5(pass || salt), D_i = MD5(D_{i-1} || pass || salt), key = D_1 || D_2 || ...
func evpBytesToKey(pass, salt []byte, n int) []byte {
	var key, prev []byte
	for len(key) < n {
		h := md5.New()
		h.Write(prev)
		h.Write(pass)
		h.Write(salt)
		prev = h.Sum(nil)
		key = append(key, prev...)
	}
	return key[:n]
}

// cbcDecrypt decrypts and removes PKCS#7 padding. Bad padding is by far most often a wrong passphrase.
func cbcDecrypt(blk cipher.Block, iv, data []byte) ([]byte, error) {
	bs := blk.BlockSize()
	if len(iv) != bs {
		return nil, fmt.Errorf("IV is %d bytes, cipher needs %d", len(iv), bs)
	}
	if len(data) == 0 || len(data)%bs != 0 {
		return nil, errors.New("encrypted key length is not a multiple of the cipher block size")
	}
	out := make([]byte, len(data))
	cipher.NewCBCDecrypter(blk, iv).CryptBlocks(out, data)
	pad := int(out[len(out)-1])
	if pad == 0 || pad > bs {
		return nil, ErrBadPassphrase
	}
	for _, p := range out[len(out)-pad:] {
		if int(p) != pad {
			return nil, ErrBadPassphrase
		}
	}
	return out[:len(out)-pad], nil
}
