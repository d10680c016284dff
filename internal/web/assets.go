package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assetFS embed.FS

type asset struct {
	data  []byte
	ctype string
}

// loadAssets names each embedded file by its content hash (console.3f9a1c2b7d.css),
// so a new build never meets a stale cached copy and old names can be cached forever.
func (s *Site) loadAssets() error {
	s.assets, s.byName = map[string]asset{}, map[string]string{}
	entries, err := assetFS.ReadDir("assets")
	if err != nil {
		return err
	}
	for _, e := range entries {
		data, err := assetFS.ReadFile("assets/" + e.Name())
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ext := path.Ext(e.Name())
		hashed := strings.TrimSuffix(e.Name(), ext) + "." + hex.EncodeToString(sum[:5]) + ext
		s.assets[hashed] = asset{data: data, ctype: mime.TypeByExtension(ext)}
		s.byName[e.Name()] = hashed
	}
	return nil
}

// AssetURL is the hashed URL of an embedded asset by its plain name.
func (s *Site) AssetURL(name string) string {
	return s.opt.Prefix + "/assets/" + s.byName[name]
}

// AssetPattern is the mux pattern the assets are served under.
func (s *Site) AssetPattern() string { return "GET " + s.opt.Prefix + "/assets/{file}" }

// Assets serves the embedded files under their hashed names with a year-long,
// immutable cache life; any other name is 404.
func (s *Site) Assets(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(a.data)
}
