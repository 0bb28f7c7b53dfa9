package vc_test

import (
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/certledger/certledger/credential/vc"
	"github.com/piprate/json-gold/ld"
)

// A minimal verifier of eddsa-rdfc-2022 VC 2.0 credentials, written from the
// specifications and sharing no code with package vc, so it checks the export
// independently; only the bundled contexts' bytes come from package vc.

// webFetcher stands for HTTP GETs of the URLs the gateway serves.
type webFetcher map[string][]byte

func (w webFetcher) get(u string) ([]byte, error) {
	b, ok := w[u]
	if !ok {
		return nil, fmt.Errorf("GET %s: 404", u)
	}
	return b, nil
}

type contextCache struct{}

func (contextCache) LoadDocument(u string) (*ld.RemoteDocument, error) {
	b, ok := vc.ContextDocument(u)
	if !ok {
		return nil, fmt.Errorf("no cached context %s", u)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	return &ld.RemoteDocument{DocumentURL: u, Document: doc}, nil
}

func rdfc(doc map[string]any) ([]byte, error) {
	opts := ld.NewJsonLdOptions("")
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	opts.DocumentLoader = contextCache{}
	out, err := ld.NewJsonLdProcessor().Normalize(doc, opts)
	if err != nil {
		return nil, err
	}
	return []byte(out.(string)), nil
}

// b58decode is the textbook base58 decoding: multiply-and-add over a byte
// array, no big integers.
func b58decode(s string) ([]byte, error) {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	out := []byte{}
	for _, r := range s {
		carry := strings.IndexRune(alphabet, r)
		if carry < 0 {
			return nil, fmt.Errorf("bad base58 character %q", r)
		}
		for i := len(out) - 1; i >= 0; i-- {
			carry += int(out[i]) * 58
			out[i] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			out = append([]byte{byte(carry)}, out...)
			carry >>= 8
		}
	}
	for i := 0; i < len(s) && s[i] == '1'; i++ {
		out = append([]byte{0}, out...)
	}
	return out, nil
}

// independentVerify verifies the proof of a secured document and returns
// the document (without proof).
func independentVerify(secured []byte, web webFetcher) (map[string]any, error) {
	var doc map[string]any
	if err := json.Unmarshal(secured, &doc); err != nil {
		return nil, err
	}
	proof, ok := doc["proof"].(map[string]any)
	if !ok {
		return nil, errors.New("no single proof object")
	}
	delete(doc, "proof")
	if proof["type"] != "DataIntegrityProof" || proof["cryptosuite"] != "eddsa-rdfc-2022" || proof["proofPurpose"] != "assertionMethod" {
		return nil, errors.New("not an eddsa-rdfc-2022 assertion proof")
	}
	config := map[string]any{}
	for k, v := range proof {
		if k != "proofValue" {
			config[k] = v
		}
	}
	config["@context"] = doc["@context"]
	canonConfig, err := rdfc(config)
	if err != nil {
		return nil, err
	}
	canonDoc, err := rdfc(doc)
	if err != nil {
		return nil, err
	}
	h1, h2 := sha256.Sum256(canonConfig), sha256.Sum256(canonDoc)
	hashData := append(h1[:], h2[:]...)

	// Resolve the verification method from the issuer's controller document.
	vmID, _ := proof["verificationMethod"].(string)
	controller, _, _ := strings.Cut(vmID, "#")
	issuer := doc["issuer"]
	if m, ok := issuer.(map[string]any); ok {
		issuer = m["id"]
	}
	if issuer != controller {
		return nil, fmt.Errorf("key %s is not controlled by the issuer %v", vmID, issuer)
	}
	raw, err := web.get(controller)
	if err != nil {
		return nil, err
	}
	var cd struct {
		ID                 string `json:"id"`
		VerificationMethod []struct {
			ID, Type, Controller, PublicKeyMultibase string
		} `json:"verificationMethod"`
		AssertionMethod []string `json:"assertionMethod"`
	}
	if err := json.Unmarshal(raw, &cd); err != nil || cd.ID != controller {
		return nil, fmt.Errorf("bad controller document at %s", controller)
	}
	asserted := false
	for _, a := range cd.AssertionMethod {
		asserted = asserted || a == vmID
	}
	if !asserted {
		return nil, fmt.Errorf("%s is not an assertion method of %s", vmID, controller)
	}
	var pub ed25519.PublicKey
	for _, m := range cd.VerificationMethod {
		if m.ID == vmID && m.Type == "Multikey" && m.Controller == controller && strings.HasPrefix(m.PublicKeyMultibase, "z") {
			b, err := b58decode(m.PublicKeyMultibase[1:])
			if err != nil || len(b) != 34 || b[0] != 0xed || b[1] != 0x01 {
				return nil, errors.New("not an Ed25519 Multikey")
			}
			pub = b[2:]
		}
	}
	if pub == nil {
		return nil, fmt.Errorf("no Multikey %s", vmID)
	}
	pv, _ := proof["proofValue"].(string)
	if !strings.HasPrefix(pv, "z") {
		return nil, errors.New("proofValue is not base58btc")
	}
	sig, err := b58decode(pv[1:])
	if err != nil || len(sig) != 64 {
		return nil, errors.New("bad proofValue")
	}
	if !ed25519.Verify(pub, hashData, sig) {
		return nil, errors.New("signature does not verify")
	}
	return doc, nil
}

// independentStatus reads the bit of one credentialStatus entry from the
// status list credential it points to, after verifying that list.
func independentStatus(entry map[string]any, web webFetcher) (bool, error) {
	listURL, _ := entry["statusListCredential"].(string)
	raw, err := web.get(listURL)
	if err != nil {
		return false, err
	}
	list, err := independentVerify(raw, web)
	if err != nil {
		return false, fmt.Errorf("status list: %w", err)
	}
	subject, _ := list["credentialSubject"].(map[string]any)
	if subject["statusPurpose"] != entry["statusPurpose"] || list["id"] != listURL {
		return false, errors.New("status list does not match the entry")
	}
	enc, _ := subject["encodedList"].(string)
	if !strings.HasPrefix(enc, "u") {
		return false, errors.New("encodedList is not base64url multibase")
	}
	z, err := base64.RawURLEncoding.DecodeString(enc[1:])
	if err != nil {
		return false, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return false, err
	}
	bits, err := io.ReadAll(zr)
	if err != nil {
		return false, err
	}
	if len(bits)*8 < 131072 {
		return false, errors.New("status list shorter than 131,072 entries")
	}
	idx, err := strconv.Atoi(entry["statusListIndex"].(string))
	if err != nil || idx < 0 || idx >= len(bits)*8 {
		return false, errors.New("bad statusListIndex")
	}
	return bits[idx/8]>>(7-idx%8)&1 == 1, nil
}
