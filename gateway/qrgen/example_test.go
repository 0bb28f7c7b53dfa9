package qrgen_test

import (
	"fmt"

	"github.com/certledger/certledger/gateway/qrgen"
)

func ExampleEncode() {
	sym, err := qrgen.Encode("CL1:6BFOXN*TS0BI$ZD4N9", qrgen.Q)
	if err != nil {
		panic(err)
	}
	fmt.Println(sym.Version, sym.Size, len(sym.Bitmap()))
	// Output: 2 25 33
}
