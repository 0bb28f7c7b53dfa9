// Command kv-chaincode is a minimal put/get chaincode served as a chaincode
// service. It is the raw Fabric baseline of CertLedger's benchmarks: the
// same network, client and endorsement policy, with no contract logic.
//
//	put(key, value)  writes value under key
//	get(key)         returns the value (empty if absent)
package main

import (
	"log"

	"github.com/certledger/certledger/chaincode/ccserver"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
)

type kv struct{}

func (kv) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (kv) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch {
	case fn == "put" && len(args) == 2:
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	case fn == "get" && len(args) == 1:
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(v)
	}
	return shim.Error("kv: want put(key, value) or get(key)")
}

func main() {
	c, err := ccserver.FromEnv()
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(ccserver.Serve(kv{}, c))
}
