package network

import (
	"path/filepath"

	"github.com/certledger/certledger/network/profile"
)

// newProfile describes a network; paths are absolute here and made
// relative to the network folder by writeProfile.
func newProfile(l layout, t topology) (*profile.Profile, error) {
	p := &profile.Profile{Channel: DefaultChannel, Chaincode: ChaincodeName, DocumentCollection: DocumentCollection}
	for _, n := range t.Orderers {
		p.Orderers = append(p.Orderers, profile.Endpoint{Name: n.Name, Address: n.address(),
			ServerNameOverride: n.Host, TLSRootCert: l.ordererTLSCA()})
	}
	for _, d := range t.Departments {
		pub, err := issuerPublicKey(l, d)
		if err != nil {
			return nil, err
		}
		pd := profile.Department{
			ID: d.ID, Name: d.Name, MSPID: d.MSPID, Governance: d.Governance,
			Client:    identityOf(l, d, "User1"),
			Admin:     identityOf(l, d, "Admin"),
			IssuerKey: l.issuerKey(d.ID), IssuerPublicKey: pub, IssuerKeyID: d.ID + "-issuer-1",
		}
		for _, n := range t.peersOf(d) {
			pd.Peers = append(pd.Peers, profile.Endpoint{Name: n.Name, Address: n.address(),
				ServerNameOverride: n.Host, TLSRootCert: l.deptTLSCA(d)})
		}
		p.Departments = append(p.Departments, pd)
	}
	return p, nil
}

func identityOf(l layout, d *department, user string) profile.Identity {
	msp := filepath.Join(l.deptUserDir(d, user), "msp")
	return profile.Identity{MSPID: d.MSPID, MSPDir: msp,
		Cert: signCert(msp, user+"@"+d.domain()), Key: privateKey(msp)}
}

// writeProfile writes the profile into the network folder.
func writeProfile(l layout, p *profile.Profile) error {
	b, err := p.Encode(l.Dir)
	if err != nil {
		return err
	}
	return writeFileAtomic(l.profileFile(), b, 0o644)
}
