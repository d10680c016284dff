package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// doc is one YAML document of one manifest file.
type doc struct {
	file string // relative to deploy/
	body map[string]any
}

func (d doc) String() string {
	return fmt.Sprintf("%s (%s %s)", d.file, str(d.body["kind"]), str(dig(d.body, "metadata", "name")))
}

// manifestFiles lists every YAML file under deploy/.
func manifestFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ext := filepath.Ext(path); !d.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no YAML files under deploy/")
	}
	return files
}

// decodeAll parses every document of a multi-document YAML file.
func decodeAll(b []byte) ([]map[string]any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	var out []map[string]any
	for i := 0; ; i++ {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if m != nil {
			out = append(out, m)
		}
	}
}

func loadDocs(t *testing.T, under string) []doc {
	t.Helper()
	var docs []doc
	for _, f := range manifestFiles(t) {
		if !strings.HasPrefix(f, under) {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := decodeAll(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, m := range ms {
			docs = append(docs, doc{file: f, body: m})
		}
	}
	return docs
}

func k8sDocs(t *testing.T) []doc { return loadDocs(t, "k8s"+string(filepath.Separator)) }

func ofKind(docs []doc, kind string) []doc {
	var out []doc
	for _, d := range docs {
		if str(d.body["kind"]) == kind {
			out = append(out, d)
		}
	}
	return out
}

func composeFile(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("compose", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := decodeAll(b)
	if err != nil || len(ms) != 1 {
		t.Fatalf("compose/docker-compose.yml: %v (%d documents)", err, len(ms))
	}
	return ms[0]
}

// dig walks nested maps by key.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func str(v any) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		out = append(out, str(x))
	}
	return out
}

func mapping(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

var interpolation = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::?([-?])([^}]*))?\}`)

// interpolate resolves compose's ${NAME:-default} to the default. A required
// ${NAME:?message} has no value the test can know; it resolves to "" and ok is false.
func interpolate(s string) (string, bool) {
	ok := true
	out := interpolation.ReplaceAllStringFunc(s, func(m string) string {
		p := interpolation.FindStringSubmatch(m)
		if p[2] == "-" {
			return p[3]
		}
		ok = false
		return ""
	})
	return out, ok
}

// TestManifestsParse decodes every document of every YAML file under deploy/ and
// checks the Kubernetes ones name their API version, kind and name.
func TestManifestsParse(t *testing.T) {
	for _, f := range manifestFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := decodeAll(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(ms) == 0 {
			t.Errorf("%s: no documents", f)
		}
		if !strings.HasPrefix(f, "k8s") || filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		for i, m := range ms {
			if str(m["apiVersion"]) == "" || str(m["kind"]) == "" || str(dig(m, "metadata", "name")) == "" {
				t.Errorf("%s: document %d lacks apiVersion, kind or metadata.name", f, i)
			}
		}
	}
}

// TestKustomizationListsEveryManifest keeps a new manifest from being silently left out
// of "kubectl apply -k".
func TestKustomizationListsEveryManifest(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("k8s", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	for _, f := range manifestFiles(t) {
		rel, ok := strings.CutPrefix(filepath.ToSlash(f), "k8s/")
		if !ok || rel == "kustomization.yaml" {
			continue
		}
		if !slices.Contains(k.Resources, rel) {
			t.Errorf("k8s/kustomization.yaml does not list %s", rel)
		}
	}
	for _, r := range k.Resources {
		if _, err := os.Stat(filepath.Join("k8s", r)); err != nil {
			t.Errorf("k8s/kustomization.yaml lists %s: %v", r, err)
		}
	}
}

// TestNoDuplicateObjects catches two objects of one kind with one name.
func TestNoDuplicateObjects(t *testing.T) {
	seen := map[string]string{}
	for _, d := range k8sDocs(t) {
		key := str(d.body["kind"]) + "/" + str(dig(d.body, "metadata", "name"))
		if prev, ok := seen[key]; ok {
			t.Errorf("%s defined in %s and %s", key, prev, d.file)
		}
		seen[key] = d.file
	}
}
