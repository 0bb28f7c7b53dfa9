package fabriccontract

import (
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/certledger/certledger/chaincode"
)

// AnchorBatch records the anchored batch of the transient "anchor" request,
// its documents in the transient "anchorchunk.<i>" values, and returns the
// AnchorResult.
func (c *Contract) AnchorBatch(ctx contractapi.TransactionContextInterface) (string, error) {
	return asJSON(chaincode.AnchorBatch(writer(ctx)))
}

// GetAnchorStatusNext returns where a department's next anchored batch's
// run of status positions may start, as a decimal number.
func (c *Contract) GetAnchorStatusNext(ctx contractapi.TransactionContextInterface, dept string) (string, error) {
	return asJSON(chaincode.GetAnchorStatusNext(fabricTx{ctx}, dept))
}
