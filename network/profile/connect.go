package profile

import (
	"crypto/x509"
	"fmt"
	"os"

	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// ClientIdentity loads the department's client certificate and key, the
// identity its Fabric Gateway calls are signed with.
func (d *Department) ClientIdentity() (*identity.X509Identity, identity.Sign, error) {
	certPEM, err := os.ReadFile(d.Client.Cert)
	if err != nil {
		return nil, nil, err
	}
	cert, err := identity.CertificateFromPEM(certPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", d.Client.Cert, err)
	}
	mspID := d.Client.MSPID
	if mspID == "" {
		mspID = d.MSPID
	}
	id, err := identity.NewX509Identity(mspID, cert)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(d.Client.Key)
	if err != nil {
		return nil, nil, err
	}
	key, err := identity.PrivateKeyFromPEM(keyPEM)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", d.Client.Key, err)
	}
	sign, err := identity.NewPrivateKeySign(key)
	if err != nil {
		return nil, nil, err
	}
	return id, sign, nil
}

// Dial makes a gRPC client of the node, over TLS trusting the profile's CA
// of its organization. gRPC connects on first use.
func (e Endpoint) Dial(opts ...grpc.DialOption) (*grpc.ClientConn, error) {
	ca, err := os.ReadFile(e.TLSRootCert)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(ca) {
		return nil, fmt.Errorf("%s holds no PEM certificate", e.TLSRootCert)
	}
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(credentials.NewClientTLSFromCert(pool, e.ServerNameOverride))}, opts...)
	return grpc.NewClient(e.Address, opts...)
}
