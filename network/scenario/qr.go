package scenario

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
)

// decodeQR decodes a PNG with zbarimg, the standard decoder the issue names,
// so the test proves the image works outside our own code.
func decodeQR(png []byte) (string, error) {
	cmd := exec.Command("zbarimg", "--quiet", "--raw", "-Sbinary", "-")
	cmd.Stdin = bytes.NewReader(png)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("zbarimg: %v: %s", err, errb.String())
	}
	return strings.TrimRight(out.String(), "\n"), nil
}
