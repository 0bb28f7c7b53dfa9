// Command certledger-chaincode serves CertLedger's contract (package
// fabriccontract running the rules of package chaincode) as a chaincode
// service (CCaaS). `certledger network up` starts it with the environment
// read by package ccserver: CHAINCODE_ID (the package ID),
// CHAINCODE_SERVER_ADDRESS and the TLS key pair.
package main

import (
	"log"

	"github.com/certledger/certledger/chaincode/ccserver"
	"github.com/certledger/certledger/chaincode/fabriccontract"
)

func main() {
	c, err := ccserver.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	cc, err := fabriccontract.NewChaincode()
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(ccserver.Serve(cc, c))
}
