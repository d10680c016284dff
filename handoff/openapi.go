package handoff

import (
	_ "embed"
	"net/http"
)

//go:embed openapi.yaml
var openAPI []byte

func (n *Node) getOpenAPI(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	_, err := w.Write(openAPI)
	return err
}
