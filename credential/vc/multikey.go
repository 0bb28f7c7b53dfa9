package vc

import (
	"crypto/ed25519"
	"math/big"
	"strings"

	"github.com/certledger/certledger/credential"
)

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// multicodec prefix of an Ed25519 public key (0xed as an unsigned varint).
var ed25519PubPrefix = []byte{0xed, 0x01}

// encodeBase58 is the Bitcoin base58 alphabet encoding that multibase
// calls base58btc: leading zero bytes become '1's.
func encodeBase58(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b)
	var out []byte
	mod := new(big.Int)
	base := big.NewInt(58)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append(out, base58Alphabet[mod.Int64()])
	}
	for range zeros {
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func decodeBase58(s string) ([]byte, error) {
	n := new(big.Int)
	base := big.NewInt(58)
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	for i := 0; i < len(s); i++ {
		k := strings.IndexByte(base58Alphabet, s[i])
		if k < 0 {
			return nil, credential.Errorf(credential.ReasonInvalidVC, "base58: character %q is not in the alphabet", s[i])
		}
		n.Mul(n, base)
		n.Add(n, big.NewInt(int64(k)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}

// MultikeyEd25519 returns the publicKeyMultibase of an Ed25519 key: 'z'
// (base58btc) over the multicodec prefix 0xed01 and the 32 key bytes.
func MultikeyEd25519(pub ed25519.PublicKey) string {
	return "z" + encodeBase58(append(append([]byte{}, ed25519PubPrefix...), pub...))
}

// ParseMultikeyEd25519 decodes a publicKeyMultibase holding an Ed25519 key.
func ParseMultikeyEd25519(s string) (ed25519.PublicKey, error) {
	rest, ok := strings.CutPrefix(s, "z")
	if !ok {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "publicKeyMultibase must be base58btc ('z')")
	}
	b, err := decodeBase58(rest)
	if err != nil {
		return nil, err
	}
	if len(b) != 2+ed25519.PublicKeySize || b[0] != ed25519PubPrefix[0] || b[1] != ed25519PubPrefix[1] {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "publicKeyMultibase is not an Ed25519 Multikey")
	}
	return ed25519.PublicKey(b[2:]), nil
}

// multibaseSignature encodes a proof value: 'z' and base58btc.
func multibaseSignature(sig []byte) string { return "z" + encodeBase58(sig) }

func parseMultibaseSignature(s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, "z")
	if !ok {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "proofValue must be base58btc ('z')")
	}
	b, err := decodeBase58(rest)
	if err != nil {
		return nil, err
	}
	if len(b) != ed25519.SignatureSize || encodeBase58(b) != rest {
		return nil, credential.Errorf(credential.ReasonInvalidVC, "proofValue is not a canonical 64-byte Ed25519 signature")
	}
	return b, nil
}
