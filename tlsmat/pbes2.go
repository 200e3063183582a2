package tlsmat

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
)

// PKCS#8 encrypted private keys (RFC 5208 EncryptedPrivateKeyInfo) with PBES2 (RFC 8018): what
// `openssl pkcs8 -topk8 -v2 aes256` and OpenSSL 3's `openssl rsa -aes256` write. The Go standard library
// cannot decrypt them, so they are decoded here with encoding/asn1, crypto/pbkdf2 and crypto/aes.

var (
	oidPBES2       = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt      = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}
	oidHMACSHA1    = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACSHA224  = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACSHA256  = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACSHA384  = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACSHA512  = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}
	oidAES128CBC   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC  = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}
	oidPKCS12PBE   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1}
	oidPKCS5PBES1s = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5}
)

type encryptedPrivateKeyInfo struct {
	Algo          pkix.AlgorithmIdentifier
	EncryptedData []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt           []byte // only the "specified" CHOICE; otherSource is unused in practice
	IterationCount int
	KeyLength      int                      `asn1:"optional"`
	PRF            pkix.AlgorithmIdentifier `asn1:"optional"` // absent = hmacWithSHA1
}

// maxPBKDF2Iterations guards against a key file that would pin a CPU for minutes on every load.
const maxPBKDF2Iterations = 10_000_000

// decryptPKCS8 returns the DER PrivateKeyInfo inside an EncryptedPrivateKeyInfo.
func decryptPKCS8(der, pass []byte) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 {
		return nil, errors.New("malformed ENCRYPTED PRIVATE KEY structure")
	}
	if !info.Algo.Algorithm.Equal(oidPBES2) {
		return nil, unsupportedPBE(info.Algo.Algorithm)
	}
	var params pbes2Params
	if rest, err := asn1.Unmarshal(info.Algo.Parameters.FullBytes, &params); err != nil || len(rest) != 0 {
		return nil, errors.New("malformed PBES2 parameters")
	}

	newBlock, keyLen, err := pbes2Cipher(params.EncryptionScheme.Algorithm)
	if err != nil {
		return nil, err
	}
	var iv []byte
	if _, err := asn1.Unmarshal(params.EncryptionScheme.Parameters.FullBytes, &iv); err != nil {
		return nil, errors.New("malformed PBES2 cipher IV")
	}

	kdf := params.KeyDerivationFunc.Algorithm
	if kdf.Equal(oidScrypt) {
		return nil, errors.New("unsupported key encryption: PBES2 with scrypt (re-encrypt with `openssl pkcs8 -topk8 -v2 aes256`)")
	}
	if !kdf.Equal(oidPBKDF2) {
		return nil, fmt.Errorf("unsupported PBES2 key derivation function %s", kdf)
	}
	var kp pbkdf2Params
	if rest, err := asn1.Unmarshal(params.KeyDerivationFunc.Parameters.FullBytes, &kp); err != nil || len(rest) != 0 {
		return nil, errors.New("malformed PBKDF2 parameters")
	}
	if kp.IterationCount < 1 || kp.IterationCount > maxPBKDF2Iterations {
		return nil, fmt.Errorf("PBKDF2 iteration count %d out of range", kp.IterationCount)
	}
	if kp.KeyLength != 0 && kp.KeyLength != keyLen {
		return nil, fmt.Errorf("PBKDF2 key length %d does not fit the cipher (%d)", kp.KeyLength, keyLen)
	}
	key, err := pbkdf2Derive(kp.PRF.Algorithm, pass, kp.Salt, kp.IterationCount, keyLen)
	if err != nil {
		return nil, err
	}
	blk, err := newBlock(key)
	if err != nil {
		return nil, err
	}
	return cbcDecrypt(blk, iv, info.EncryptedData)
}

func pbes2Cipher(oid asn1.ObjectIdentifier) (func([]byte) (cipher.Block, error), int, error) {
	switch {
	case oid.Equal(oidAES128CBC):
		return aes.NewCipher, 16, nil
	case oid.Equal(oidAES192CBC):
		return aes.NewCipher, 24, nil
	case oid.Equal(oidAES256CBC):
		return aes.NewCipher, 32, nil
	case oid.Equal(oidDESEDE3CBC):
		return des.NewTripleDESCipher, 24, nil
	}
	return nil, 0, fmt.Errorf("unsupported PBES2 cipher %s (supported: AES-128/192/256-CBC, DES-EDE3-CBC)", oid)
}

func pbkdf2Derive(prf asn1.ObjectIdentifier, pass, salt []byte, iter, keyLen int) ([]byte, error) {
	p := string(pass)
	switch {
	case len(prf) == 0 || prf.Equal(oidHMACSHA1):
		return pbkdf2.Key(sha1.New, p, salt, iter, keyLen)
	case prf.Equal(oidHMACSHA224):
		return pbkdf2.Key(sha256.New224, p, salt, iter, keyLen)
	case prf.Equal(oidHMACSHA256):
		return pbkdf2.Key(sha256.New, p, salt, iter, keyLen)
	case prf.Equal(oidHMACSHA384):
		return pbkdf2.Key(sha512.New384, p, salt, iter, keyLen)
	case prf.Equal(oidHMACSHA512):
		return pbkdf2.Key(sha512.New, p, salt, iter, keyLen)
	}
	return nil, fmt.Errorf("unsupported PBKDF2 PRF %s", prf)
}

func unsupportedPBE(oid asn1.ObjectIdentifier) error {
	family := "unknown"
	switch {
	case len(oid) == len(oidPKCS12PBE)+1 && oid[:len(oidPKCS12PBE)].Equal(oidPKCS12PBE):
		family = "PKCS#12 PBE"
	case len(oid) == len(oidPKCS5PBES1s)+1 && oid[:len(oidPKCS5PBES1s)].Equal(oidPKCS5PBES1s):
		family = "PKCS#5 v1.5 PBES1"
	}
	return fmt.Errorf("unsupported key encryption %s (%s); only PBES2 is supported: re-encrypt with `openssl pkcs8 -topk8 -v2 aes256`", oid, family)
}
