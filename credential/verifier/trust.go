package verifier

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/certledger/certledger/credential"
)

// AnchorSuffix names the file, next to a cached trust list, in which trust
// on first use records the governance keys the verifier trusts.
const AnchorSuffix = ".anchors"

// anchorState is the content of the anchor file: the governance keys of the
// last list accepted, which verify the next one (so governance can rotate
// its key), and that list's sequence number (so nobody can roll the cache
// back to a list from before a key was marked compromised).
type anchorState struct {
	Issuer   string           `json:"issuer"`
	Sequence uint64           `json:"sequence"`
	Keys     []credential.Key `json:"keys"`
}

// TrustOptions say how to anchor a cached trust list.
type TrustOptions struct {
	// Anchor is the governance department's Ed25519 public key (base64),
	// obtained out of band. Empty: trust on first use.
	Anchor string
	// AnchorFile records the trusted keys between runs; default
	// <trust list path> + AnchorSuffix.
	AnchorFile string
}

// LoadTrustList reads and verifies a cached trust list. With an explicit
// anchor the list must be signed by that key. Otherwise the first list seen
// is trusted as it is (its own governance keys become the anchors, recorded
// in the anchor file) and every later list must verify with the recorded
// keys and not be older. notes tell the user what was trusted.
func LoadTrustList(path string, o TrustOptions) (tl *credential.TrustList, notes []string, err error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	unverified, err := peekTrustList(data)
	if err != nil {
		return nil, nil, err
	}
	if o.AnchorFile == "" {
		o.AnchorFile = path + AnchorSuffix
	}
	if o.Anchor != "" {
		pub, err := parseAnchor(o.Anchor)
		if err != nil {
			return nil, nil, err
		}
		var anchors []credential.Key
		for _, k := range unverified.GovernanceKeys() {
			if k.PublicKey == pub {
				anchors = append(anchors, k)
			}
		}
		if len(anchors) == 0 {
			return nil, nil, fmt.Errorf("the trust list's governance department lists no key equal to the --anchor key")
		}
		tl, err := credential.ParseTrustList(data, anchors)
		if err != nil {
			return nil, nil, err
		}
		return tl, []string{"trust list anchored on the given governance key " + fingerprint(pub)}, nil
	}

	var state anchorState
	b, err := os.ReadFile(o.AnchorFile)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		tl, err = credential.ParseTrustList(data, unverified.GovernanceKeys())
		if err != nil {
			return nil, nil, err
		}
		var fps []string
		for _, k := range tl.GovernanceKeys() {
			fps = append(fps, k.ID+" "+fingerprint(k.PublicKey))
		}
		notes = append(notes, "first use of this trust list: trusting the governance key(s) of "+tl.Issuer+" it names ("+
			strings.Join(fps, ", ")+"); compare them with the published fingerprint, or pass --anchor to pin a key")
	case err != nil:
		return nil, nil, err
	default:
		if err := json.Unmarshal(b, &state); err != nil {
			return nil, nil, fmt.Errorf("%s: %v", o.AnchorFile, err)
		}
		tl, err = credential.ParseTrustList(data, state.Keys)
		if err != nil {
			return nil, nil, fmt.Errorf("%w (anchors from %s)", err, o.AnchorFile)
		}
		if tl.Issuer != state.Issuer || tl.Sequence < state.Sequence {
			return nil, nil, fmt.Errorf("the trust list #%d is older than #%d seen before: refusing a rollback", tl.Sequence, state.Sequence)
		}
	}
	if tl.Sequence > state.Sequence || state.Issuer == "" {
		next, _ := json.MarshalIndent(anchorState{Issuer: tl.Issuer, Sequence: tl.Sequence, Keys: tl.GovernanceKeys()}, "", "  ")
		if err := os.WriteFile(o.AnchorFile, append(next, '\n'), 0o644); err != nil {
			notes = append(notes, "could not record the trusted keys: "+err.Error())
		}
	}
	return tl, notes, nil
}

// peekTrustList decodes a list's content without checking its signature,
// only to find the keys to check it with.
func peekTrustList(data []byte) (*credential.TrustList, error) {
	parts := strings.Split(strings.TrimSpace(string(data)), ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("trust list: not a JWS in compact serialization")
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("trust list: payload is not base64url")
	}
	var tl credential.TrustList
	if err := json.Unmarshal(b, &tl); err != nil {
		return nil, fmt.Errorf("trust list: %v", err)
	}
	return &tl, nil
}

// parseAnchor accepts a 32-byte Ed25519 public key in standard or URL-safe
// base64 and returns it as the registry spells it.
func parseAnchor(s string) (string, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return base64.StdEncoding.EncodeToString(b), nil
		}
	}
	return "", fmt.Errorf("--anchor must be a base64 Ed25519 public key (32 bytes)")
}

// fingerprint is a short SHA-256 fingerprint of a base64 public key.
func fingerprint(pubB64 string) string {
	b, _ := base64.StdEncoding.DecodeString(pubB64)
	sum := sha256.Sum256(b)
	return "SHA256:" + hex.EncodeToString(sum[:8])
}
