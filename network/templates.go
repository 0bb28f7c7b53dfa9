package network

import (
	"bytes"
	"embed"
	"os"
	"path/filepath"
	"strconv"
	"text/template"
)

//go:embed templates
var templateFS embed.FS

var templates = template.Must(template.New("").Funcs(template.FuncMap{
	// q quotes a path for YAML (a JSON string is a valid YAML scalar).
	"q":   strconv.Quote,
	"inc": func(i int) int { return i + 1 },
}).ParseFS(templateFS, "templates/*.tmpl"))

// renderTemplate executes templates/<name>.tmpl into path.
func renderTemplate(name, path string, data any) error {
	var b bytes.Buffer
	if err := templates.ExecuteTemplate(&b, name+".tmpl", data); err != nil {
		return err
	}
	return writeFileAtomic(path, b.Bytes(), 0o644)
}

// writeFileAtomic writes through a temporary file and a rename, so an
// interrupted Up never leaves a half-written file that a later Up trusts.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
