package fabriccontract

import (
	"github.com/certledger/certledger/chaincode"
	"github.com/certledger/certledger/credential"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
)

// GetCredentialsByDepartment returns one page of a department's register
// for a RegisterQuery (JSON), as a RegisterPage; only the department's own
// identity may ask.
func (c *Contract) GetCredentialsByDepartment(ctx contractapi.TransactionContextInterface, queryJSON string) (string, error) {
	var q credential.RegisterQuery
	if err := decodeArg(queryJSON, "register query", &q); err != nil {
		return "", chaincode.EncodeError(err)
	}
	return asJSON(chaincode.GetCredentialsByDepartment(fabricTx{ctx}, q))
}
