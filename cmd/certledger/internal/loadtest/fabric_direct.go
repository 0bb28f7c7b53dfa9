package loadtest

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/certledger/certledger/network"
	"github.com/certledger/certledger/network/profile"
	fabric "github.com/hyperledger/fabric-gateway/pkg/client"
)

// directIssuer issues business licences as samr straight through the
// Fabric Gateway client: the same documents, transient request and
// idempotency entry as the gateway sends.
type directIssuer struct {
	contract *fabric.Contract
	typ      credential.CredentialType
	issuer   credential.Department
	keyID    string
	key      ed25519.PrivateKey
	run      string
	mu       sync.Mutex
	ids      []string
}

func newDirectIssuer(p *profile.Profile, c *fabric.Contract, run string) (*directIssuer, error) {
	raw, err := c.EvaluateTransaction(chaincode.FnGetRegistry)
	if err != nil {
		return nil, err
	}
	var reg credential.Registry
	if err := json.Unmarshal(raw, &reg); err != nil {
		return nil, err
	}
	pd, ok := p.Department("samr")
	if !ok {
		return nil, errors.New("no department samr in the profile")
	}
	key, err := network.LoadIssuerKey(pd.IssuerKey)
	if err != nil {
		return nil, err
	}
	dept, ok := reg.Department("samr")
	t, ok2 := reg.Type("business-licence")
	if !ok || !ok2 {
		return nil, errors.New("the registry lacks samr or business-licence (was the gateway's --demo provisioning skipped?)")
	}
	return &directIssuer{contract: c, typ: t, issuer: dept, keyID: pd.IssuerKeyID, key: key, run: run}, nil
}

func (d *directIssuer) issue(ctx context.Context, i int) error {
	n := strconv.Itoa(i)
	doc, err := credential.Issue(credential.IssueParams{Type: d.typ, Issuer: d.issuer, IssuedAt: time.Now().UTC(),
		Holder: benchHolder(d.typ, "压测持证人"+n),
		Fields: map[string]string{"companyName": "压测公司" + n, "entityType": "有限责任公司", "legalRepresentative": "张三",
			"registeredCapital": "500", "establishedOn": "2020-03-15", "address": "福建省福州市鼓楼区五四路100号", "businessScope": "软件开发"},
	}, d.keyID, d.key)
	if err != nil {
		return err
	}
	req, err := json.Marshal(credential.IssueRequest{Document: *doc, HolderRef: strings.Repeat("ab", 32),
		IdempotencyKey: "direct-" + d.run + "-" + n, RequestHash: "hash-" + n})
	if err != nil {
		return err
	}
	if _, err := d.contract.SubmitWithContext(ctx, chaincode.FnIssue, fabric.WithTransient(map[string][]byte{chaincode.TransientRequest: req})); err != nil {
		return err
	}
	d.mu.Lock()
	d.ids = append(d.ids, doc.ID)
	d.mu.Unlock()
	return nil
}

func (d *directIssuer) issued() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.ids...)
}
