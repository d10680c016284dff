package handoff

import (
	"bytes"
	"embed"
	iofs "io/fs"
	"net/http"
	"sort"
)

// The OpenAPI document is openapi.yaml, whose last section is paths, followed by the
// path entries of every openapi_*.yaml fragment, so each part of the hall documents
// its own routes in its own file.
//
//go:embed openapi.yaml openapi_*.yaml
var openAPIFS embed.FS

var openAPI = buildOpenAPI()

func buildOpenAPI() []byte {
	base, err := openAPIFS.ReadFile("openapi.yaml")
	if err != nil {
		panic(err)
	}
	frags, _ := iofs.Glob(openAPIFS, "openapi_*.yaml")
	sort.Strings(frags)
	var b bytes.Buffer
	b.Write(base)
	for _, f := range frags {
		part, _ := openAPIFS.ReadFile(f)
		b.Write(bytes.TrimLeft(part, "\n"))
	}
	return b.Bytes()
}

func (n *Node) getOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, err := w.Write(openAPI)
	return err
}
