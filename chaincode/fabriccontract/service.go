package fabriccontract

import (
	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// PutService adds or replaces a service catalogue item (a
// credential.Service as JSON; governance only) and returns it as stored.
func (c *Contract) PutService(ctx contractapi.TransactionContextInterface, serviceJSON string) (string, error) {
	var s credential.Service
	if err := decodeArg(serviceJSON, "service", &s); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.PutService(writer(ctx), s))
}

// GetServices returns the service catalogue as a JSON array, sorted by
// code.
func (c *Contract) GetServices(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(chaincode.GetServices(fabricTx{ctx}))
}
