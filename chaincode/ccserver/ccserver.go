// Package ccserver runs a chaincode as a service (CCaaS): a gRPC server the
// peers dial, configured by the environment that package network gives
// every chaincode server it starts.
package ccserver

import (
	"errors"
	"fmt"
	"os"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
)

// Environment variables read by Serve.
const (
	EnvID      = "CHAINCODE_ID"             // package ID the peers know the chaincode by
	EnvAddress = "CHAINCODE_SERVER_ADDRESS" // host:port to listen on
	EnvTLSCert = "CHAINCODE_TLS_CERT"       // PEM server certificate file; TLS is off without it
	EnvTLSKey  = "CHAINCODE_TLS_KEY"        // PEM private key file
)

// Config of a chaincode server.
type Config struct {
	ID, Address     string
	TLSCert, TLSKey string // file paths; both empty disables TLS
}

// FromEnv reads the Config from the environment.
func FromEnv() (Config, error) {
	c := Config{ID: os.Getenv(EnvID), Address: os.Getenv(EnvAddress),
		TLSCert: os.Getenv(EnvTLSCert), TLSKey: os.Getenv(EnvTLSKey)}
	switch {
	case c.ID == "" || c.Address == "":
		return c, fmt.Errorf("ccserver: %s and %s must be set", EnvID, EnvAddress)
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return c, errors.New("ccserver: set both or neither of " + EnvTLSCert + " and " + EnvTLSKey)
	}
	return c, nil
}

// Serve runs cc as a chaincode service until the process ends.
func Serve(cc shim.Chaincode, c Config) error {
	tls := shim.TLSProperties{Disabled: true}
	if c.TLSCert != "" {
		cert, err := os.ReadFile(c.TLSCert)
		if err != nil {
			return err
		}
		key, err := os.ReadFile(c.TLSKey)
		if err != nil {
			return err
		}
		// Peers authenticate the server by its certificate; the server
		// does not ask peers for client certificates (the connection.json
		// in the package would otherwise have to carry a private key).
		tls = shim.TLSProperties{Cert: cert, Key: key}
	}
	srv := &shim.ChaincodeServer{CCID: c.ID, Address: c.Address, CC: cc, TLSProps: tls}
	return srv.Start()
}
