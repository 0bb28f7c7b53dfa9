package credential

import (
	"bytes"
	"crypto/ed25519"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
)

// The COSE_Sign1 envelope (RFC 9052 section 4.2) of a compact payload. Its
// signature is the issuer's own over the key ID and digest, not over the COSE
// Sig_structure, so presentations need no key (docs/decisions/0002-compact-qr.md).

// COSE labels and values used here.
const (
	coseSign1Tag   = 18
	coseHeaderAlg  = 1
	coseHeaderKID  = 4
	coseAlgEdDSA   = -8
	maxCOSEKeyID   = 64
	maxCOSEPayload = maxCompactDecompressed
)

type coseProtected struct {
	Alg int    `cbor:"1,keyasint"`
	KID []byte `cbor:"4,keyasint"`
}

type coseSign1 struct {
	_           struct{} `cbor:",toarray"`
	Protected   []byte
	Unprotected map[int]cbor.RawMessage
	Payload     []byte
	Signature   []byte
}

var (
	cborEnc = func() cbor.EncMode {
		m, err := cbor.CoreDetEncOptions().EncMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
	// cborDec decodes untrusted input: no duplicate keys, no indefinite
	// lengths, no unknown fields, valid UTF-8, small bounds.
	cborDec = func() cbor.DecMode {
		m, err := cbor.DecOptions{
			DupMapKey:         cbor.DupMapKeyEnforcedAPF,
			IndefLength:       cbor.IndefLengthForbidden,
			ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
			UTF8:              cbor.UTF8RejectInvalid,
			MaxNestedLevels:   8,
			MaxArrayElements:  256,
			MaxMapPairs:       64,
		}.DecMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
)

// encodeCOSESign1 wraps payload and the issuer's signature.
func encodeCOSESign1(keyID string, payload, signature []byte) ([]byte, error) {
	prot, err := cborEnc.Marshal(coseProtected{Alg: coseAlgEdDSA, KID: []byte(keyID)})
	if err != nil {
		return nil, Wrapf(err, ReasonInternal, "the COSE header cannot be encoded")
	}
	msg := coseSign1{Protected: prot, Unprotected: map[int]cbor.RawMessage{}, Payload: payload, Signature: signature}
	out, err := cborEnc.Marshal(cbor.Tag{Number: coseSign1Tag, Content: msg})
	if err != nil {
		return nil, Wrapf(err, ReasonInternal, "COSE_Sign1 cannot be encoded")
	}
	return out, nil
}

// decodeCOSESign1 parses a tagged COSE_Sign1 and checks its headers. It
// accepts only the canonical encoding, so one message has one byte string.
func decodeCOSESign1(data []byte) (keyID string, payload, signature []byte, err error) {
	var tag cbor.RawTag
	if err := cborDec.Unmarshal(data, &tag); err != nil {
		return "", nil, nil, Wrapf(err, ReasonInvalidQR, "compact payload: not a CBOR tag")
	}
	if tag.Number != coseSign1Tag {
		return "", nil, nil, Errorf(ReasonInvalidQR, "compact payload: CBOR tag %d is not COSE_Sign1 (18)", tag.Number)
	}
	var msg coseSign1
	if err := cborDec.Unmarshal(tag.Content, &msg); err != nil {
		return "", nil, nil, Wrapf(err, ReasonInvalidQR, "compact payload: not a COSE_Sign1 structure")
	}
	var prot coseProtected
	if err := cborDec.Unmarshal(msg.Protected, &prot); err != nil {
		return "", nil, nil, Wrapf(err, ReasonInvalidQR, "compact payload: bad protected header")
	}
	switch {
	case prot.Alg != coseAlgEdDSA:
		return "", nil, nil, Errorf(ReasonInvalidQR, "compact payload: algorithm %d is not EdDSA (-8)", prot.Alg)
	case len(prot.KID) == 0 || len(prot.KID) > maxCOSEKeyID || !utf8.Valid(prot.KID):
		return "", nil, nil, Errorf(ReasonInvalidQR, "compact payload: key id must be 1-%d bytes of UTF-8", maxCOSEKeyID)
	case len(msg.Unprotected) != 0:
		return "", nil, nil, Errorf(ReasonInvalidQR, "compact payload: the unprotected header must be empty")
	case len(msg.Signature) != ed25519.SignatureSize:
		return "", nil, nil, Errorf(ReasonInvalidQR, "compact payload: signature is not %d bytes", ed25519.SignatureSize)
	case len(msg.Payload) == 0 || len(msg.Payload) > maxCOSEPayload:
		return "", nil, nil, Errorf(ReasonInvalidQR, "compact payload: content is empty or too large")
	}
	// Re-encoding must reproduce the input exactly; otherwise bytes that
	// no check reads (say a longer integer encoding) could vary freely.
	again, err := encodeCOSESign1(string(prot.KID), msg.Payload, msg.Signature)
	if err != nil || !bytes.Equal(again, data) {
		return "", nil, nil, Errorf(ReasonInvalidQR, "compact payload: COSE_Sign1 is not in canonical encoding")
	}
	return string(prot.KID), msg.Payload, msg.Signature, nil
}
