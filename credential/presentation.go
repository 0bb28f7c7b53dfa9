package credential

import (
	"encoding/hex"
	"sort"
)

// Present derives a presentation of d that discloses only the named claims
// (type field names and the holder claims such as "holder.name"). Every other
// claim moves into Hidden as its hex commitment, so the presentation keeps
// the digest, and therefore the issuer's signature and the ledger record, of
// the original: it verifies with CheckIntegrity, CheckSignature and Verify
// unchanged, and nobody needs the issuer's key to derive it.
//
// d may itself be a presentation; a name that is not disclosed in d (unknown
// to the type, or already hidden) is an invalid-request error, as is a
// repeated name. An empty list discloses no claim: the presentation then only
// proves that the credential exists with its header (type, issuer, validity).
func (d *Document) Present(fields []string) (*Document, error) {
	keep := make(map[string]bool, len(fields))
	for _, name := range fields {
		if keep[name] {
			return nil, Errorf(ReasonInvalidField, "field %s is named twice", name)
		}
		if _, ok := d.Claim(name); !ok {
			return nil, Errorf(ReasonInvalidField, "field %q is not disclosed in this credential", name)
		}
		keep[name] = true
	}
	p := *d
	p.Claims = make([]Claim, 0, len(fields))
	p.Hidden = make([]string, 0, len(d.Hidden)+len(d.Claims)-len(fields))
	p.Hidden = append(p.Hidden, d.Hidden...)
	for _, c := range d.Claims {
		if keep[c.Name] {
			p.Claims = append(p.Claims, c)
			continue
		}
		h, err := c.Commitment()
		if err != nil {
			return nil, err
		}
		p.Hidden = append(p.Hidden, hex.EncodeToString(h[:]))
	}
	if len(p.Hidden) == 0 {
		// Disclosing everything gives back a full document, which must not
		// carry an empty (but present) hidden list.
		p.Hidden = nil
	}
	sort.Slice(p.Claims, func(i, j int) bool { return p.Claims[i].Name < p.Claims[j].Name })
	sort.Strings(p.Hidden)
	return &p, nil
}

// IsPresentation reports whether d withholds some claims.
func (d *Document) IsPresentation() bool { return len(d.Hidden) > 0 }
