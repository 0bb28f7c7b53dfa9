package credential

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"io"
	"strings"
	"sync"
	"time"
)

// CompactPrefix starts every compact payload: CertLedger, format version 1.
// Like the EU DCC's "HC1:" it lets a scanner app recognise the payload and
// is made of QR alphanumeric characters only.
const CompactPrefix = "CL1:"

// MaxCompactLength is the QR budget of a compact payload in characters,
// prefix included: a version 25 QR code at level Q, which a phone still scans
// when printed at 4 cm or more (docs/decisions/0002-compact-qr.md).
const MaxCompactLength = 1041

// maxCompactDecompressed bounds inflation of untrusted input (a zip bomb
// turns 1 KB into megabytes): 1041 Base45 characters carry at most 692
// compressed bytes, and no honest payload inflates to more than 16 KiB.
const maxCompactDecompressed = 16 << 10

// maxCompactInput bounds the text DecodeCompact reads at all; a QR code
// cannot hold more than 4296 alphanumeric characters.
const maxCompactInput = 4296

// compactPayload is the CBOR map inside the COSE_Sign1. Integer keys keep
// it small. Everything that enters the document digest is here; the digest
// itself is not, because the verifier recomputes it from these fields and
// the signature check then covers every byte.
type compactPayload struct {
	ID         string         `cbor:"1,keyasint"`
	Type       string         `cbor:"2,keyasint"`
	Issuer     string         `cbor:"3,keyasint"`
	IssuedAt   int64          `cbor:"4,keyasint"` // Unix milliseconds
	ValidFrom  int64          `cbor:"5,keyasint"`
	ValidUntil *int64         `cbor:"6,keyasint,omitempty"`
	Version    int            `cbor:"7,keyasint"`
	Renews     string         `cbor:"8,keyasint,omitempty"`
	Claims     []compactClaim `cbor:"9,keyasint,omitempty"`
	Hidden     [][]byte       `cbor:"10,keyasint,omitempty"` // 32-byte commitments
}

// compactClaim is a disclosed claim as [name, type, value, salt].
type compactClaim struct {
	_     struct{} `cbor:",toarray"`
	Name  string
	Type  uint
	Value string // UTF-8 text string: Chinese values stay as they are
	Salt  []byte
}

var compactFieldTypes = []FieldType{FieldString, FieldDate, FieldNumber}

func compactFieldType(t FieldType) (uint, bool) {
	for i, ft := range compactFieldTypes {
		if ft == t {
			return uint(i), true
		}
	}
	return 0, false
}

func millis(t time.Time, name string) (int64, error) {
	if t.IsZero() {
		return 0, Errorf(ReasonInvalidDocument, "%s is required in a compact payload", name)
	}
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		return 0, Errorf(ReasonInvalidDocument, "%s has sub-millisecond precision and cannot be encoded compactly", name)
	}
	return t.UnixMilli(), nil
}

// EncodeCompact encodes a signed document or presentation as the text of
// an offline-verifiable QR code: CBOR in COSE_Sign1, zlib, Base45, prefixed
// with CompactPrefix. A payload over MaxCompactLength is an invalid-request
// error telling the caller to disclose fewer fields or fall back to the
// by-reference QR.
func EncodeCompact(d *Document) (string, error) {
	if d.Format != Format {
		return "", Errorf(ReasonInvalidDocument, "unknown document format %q", d.Format)
	}
	if d.Proof.Algorithm != "Ed25519" {
		return "", Errorf(ReasonInvalidSignature, "unsupported signature algorithm %q", d.Proof.Algorithm)
	}
	sig, err := base64.RawURLEncoding.DecodeString(d.Proof.Signature)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return "", Errorf(ReasonInvalidSignature, "signature is not base64url Ed25519")
	}
	if len(d.Proof.KeyID) == 0 || len(d.Proof.KeyID) > maxCOSEKeyID {
		return "", Errorf(ReasonInvalidDocument, "key id must be 1-%d bytes", maxCOSEKeyID)
	}
	p := compactPayload{ID: d.ID, Type: d.Type, Issuer: d.Issuer, Version: d.Version, Renews: d.Renews}
	if p.IssuedAt, err = millis(d.IssuedAt, "issuedAt"); err != nil {
		return "", err
	}
	if p.ValidFrom, err = millis(d.ValidFrom, "validFrom"); err != nil {
		return "", err
	}
	if !d.ValidUntil.IsZero() {
		u, err := millis(d.ValidUntil, "validUntil")
		if err != nil {
			return "", err
		}
		p.ValidUntil = &u
	}
	// Sorted copies: the decoder accepts only sorted lists, so that one
	// presentation has one payload.
	sorted := Document{Claims: append([]Claim(nil), d.Claims...), Hidden: append([]string(nil), d.Hidden...)}
	sorted.SortClaims()
	for _, c := range sorted.Claims {
		ft, ok := compactFieldType(c.Type)
		salt, err := base64.RawURLEncoding.DecodeString(c.Salt)
		if !ok || err != nil || len(salt) != SaltSize {
			return "", Errorf(ReasonInvalidDocument, "claim %s cannot be encoded: bad type or salt", c.Name)
		}
		p.Claims = append(p.Claims, compactClaim{Name: c.Name, Type: ft, Value: c.Value, Salt: salt})
	}
	for _, h := range sorted.Hidden {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 32 {
			return "", Errorf(ReasonInvalidDocument, "hidden commitment %q is not 32 bytes of hex", h)
		}
		p.Hidden = append(p.Hidden, b)
	}
	body, err := cborEnc.Marshal(p)
	if err != nil {
		return "", Wrapf(err, ReasonInternal, "the compact payload cannot be encoded")
	}
	msg, err := encodeCOSESign1(d.Proof.KeyID, body, sig)
	if err != nil {
		return "", err
	}
	var z bytes.Buffer
	zw, ok := deflaters.Get().(*zlib.Writer)
	if ok {
		zw.Reset(&z)
	} else {
		zw, _ = zlib.NewWriterLevel(&z, zlib.BestCompression)
	}
	zw.Write(msg)
	zw.Close()
	deflaters.Put(zw)
	out := CompactPrefix + EncodeBase45(z.Bytes())
	if len(out) > MaxCompactLength {
		return "", Errorf(ReasonQRTooLarge, "the compact QR payload would be %d characters, over the %d that still scan reliably: disclose fewer fields or use the by-reference QR", len(out), MaxCompactLength)
	}
	return out, nil
}

// IsCompact reports whether text looks like a compact payload (by its
// prefix), so callers can route QR text to DecodeCompact or ParseVerifyURL.
func IsCompact(text string) bool {
	return strings.HasPrefix(strings.TrimSpace(text), CompactPrefix)
}

// DecodeCompact parses a compact payload back into the document or
// presentation it encodes, with Proof.Digest recomputed from the decoded
// content. It checks the encoding only: the caller verifies the result with
// Verify (integrity, the issuer's signature against the registry or a trust
// list, authorization, validity). Errors say which layer failed.
func DecodeCompact(text string) (*Document, error) {
	text = strings.TrimSpace(text)
	if len(text) > maxCompactInput {
		return nil, Errorf(ReasonInvalidQR, "compact payload: %d characters is more than a QR code holds", len(text))
	}
	rest, ok := strings.CutPrefix(text, CompactPrefix)
	if !ok {
		return nil, Errorf(ReasonInvalidQR, "compact payload: missing the %q prefix", CompactPrefix)
	}
	z, err := DecodeBase45(rest)
	if err != nil {
		return nil, Errorf(ReasonInvalidQR, "compact payload: %s", ErrorMessage(err))
	}
	msg, err := inflate(z)
	if err != nil {
		return nil, err
	}
	kid, body, sig, err := decodeCOSESign1(msg)
	if err != nil {
		return nil, err
	}
	var p compactPayload
	if err := cborDec.Unmarshal(body, &p); err != nil {
		return nil, Wrapf(err, ReasonInvalidQR, "compact payload: bad content")
	}
	if again, err := cborEnc.Marshal(p); err != nil || !bytes.Equal(again, body) {
		return nil, Errorf(ReasonInvalidQR, "compact payload: content is not in canonical CBOR")
	}
	d := &Document{
		Format:    Format,
		ID:        p.ID,
		Type:      p.Type,
		Issuer:    p.Issuer,
		IssuedAt:  time.UnixMilli(p.IssuedAt).UTC(),
		ValidFrom: time.UnixMilli(p.ValidFrom).UTC(),
		Version:   p.Version,
		Renews:    p.Renews,
		Claims:    make([]Claim, 0, len(p.Claims)), // "claims": [] in JSON, as Present gives
	}
	if p.ValidUntil != nil {
		d.ValidUntil = time.UnixMilli(*p.ValidUntil).UTC()
	}
	for i, c := range p.Claims {
		if c.Type >= uint(len(compactFieldTypes)) {
			return nil, Errorf(ReasonInvalidQR, "compact payload: claim %d has unknown type %d", i, c.Type)
		}
		if len(c.Salt) != SaltSize {
			return nil, Errorf(ReasonInvalidQR, "compact payload: claim %s: salt is not %d bytes", c.Name, SaltSize)
		}
		if i > 0 && p.Claims[i-1].Name >= c.Name {
			return nil, Errorf(ReasonInvalidQR, "compact payload: claims are not sorted by name")
		}
		d.Claims = append(d.Claims, Claim{Name: c.Name, Type: compactFieldTypes[c.Type], Value: c.Value,
			Salt: base64.RawURLEncoding.EncodeToString(c.Salt)})
	}
	for i, h := range p.Hidden {
		if len(h) != 32 {
			return nil, Errorf(ReasonInvalidQR, "compact payload: hidden commitment %d is not 32 bytes", i)
		}
		if i > 0 && bytes.Compare(p.Hidden[i-1], h) >= 0 {
			return nil, Errorf(ReasonInvalidQR, "compact payload: hidden commitments are not sorted")
		}
		d.Hidden = append(d.Hidden, hex.EncodeToString(h))
	}
	digest, err := d.ComputeDigest()
	if err != nil {
		return nil, err
	}
	d.Proof = Proof{Algorithm: "Ed25519", KeyID: kid, Digest: digest, Signature: base64.RawURLEncoding.EncodeToString(sig)}
	return d, nil
}

// deflaters recycles zlib writers: at the best compression level each
// allocates about 800 KB, several times the cost of the encoding itself.
var deflaters sync.Pool

// inflaters recycles zlib readers: each holds about 40 KB of decompressor
// state, whose allocation and clearing would otherwise cost a tenth of an
// offline verification.
var inflaters sync.Pool

// inflate decompresses zlib data, refusing output over
// maxCompactDecompressed.
func inflate(z []byte) ([]byte, error) {
	br := bytes.NewReader(z)
	var zr io.ReadCloser
	if r, ok := inflaters.Get().(io.ReadCloser); ok {
		if err := r.(zlib.Resetter).Reset(br, nil); err != nil {
			inflaters.Put(r)
			return nil, Wrapf(err, ReasonInvalidQR, "compact payload: not zlib data")
		}
		zr = r
	} else {
		r, err := zlib.NewReader(br)
		if err != nil {
			return nil, Wrapf(err, ReasonInvalidQR, "compact payload: not zlib data")
		}
		zr = r
	}
	defer inflaters.Put(zr)
	out, err := io.ReadAll(io.LimitReader(zr, maxCompactDecompressed+1))
	if err != nil {
		return nil, Wrapf(err, ReasonInvalidQR, "compact payload: corrupt compressed data")
	}
	if len(out) > maxCompactDecompressed {
		return nil, Errorf(ReasonInvalidQR, "compact payload: inflates to more than %d bytes", maxCompactDecompressed)
	}
	// bytes.Reader is an io.ByteReader, so the decompressor reads no further
	// than its checksum: anything left over was appended to the stream.
	if br.Len() != 0 {
		return nil, Errorf(ReasonInvalidQR, "compact payload: %d bytes after the compressed data", br.Len())
	}
	return out, nil
}
