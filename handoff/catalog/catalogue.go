package catalog

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed data/*.json
var files embed.FS

// ErrUnknownHall is returned by [Load] for a hall without an embedded
// catalogue.
var ErrUnknownHall = errors.New("catalog: no catalogue for this hall")

// Catalogue is the list of matters one hall accepts.
type Catalogue struct {
	Hall    string   `json:"hall"`    // division code of the hall whose windows accept these matters
	Version string   `json:"version"` // version of the whole file, such as "2025.3"
	Matters []Matter `json:"matters"`
}

// Matter returns the matter with the given implementation code.
func (c Catalogue) Matter(code string) (Matter, bool) {
	for _, m := range c.Matters {
		if m.Code == code {
			return m, true
		}
	}
	return Matter{}, false
}

// Halls lists the division codes that have an embedded catalogue, sorted.
func Halls() []string {
	entries, _ := fs.ReadDir(files, "data")
	var halls []string
	for _, e := range entries {
		halls = append(halls, strings.TrimSuffix(e.Name(), ".json"))
	}
	sort.Strings(halls)
	return halls
}

// Load returns the embedded catalogue of hall, a division code such as
// "440100", checked as by [Parse].
func Load(hall string) (Catalogue, error) {
	if !isDivisionCode(hall) {
		return Catalogue{}, fmt.Errorf("catalog: load %q: %w", hall, ErrUnknownHall)
	}
	data, err := files.ReadFile(path.Join("data", hall+".json"))
	if err != nil {
		return Catalogue{}, fmt.Errorf("catalog: load %q: %w", hall, ErrUnknownHall)
	}
	c, err := Parse(data)
	if err != nil {
		return Catalogue{}, fmt.Errorf("catalog: load %q: %w", hall, err)
	}
	if c.Hall != hall {
		return Catalogue{}, fmt.Errorf("catalog: load %q: file is for hall %q", hall, c.Hall)
	}
	return c, nil
}

// Parse decodes a catalogue file and checks it: the hall is a division
// code, the version is set, every matter passes [Matter.Validate] and no two
// matters share a code. Unknown JSON fields are rejected, so a misspelt
// field name in the data cannot silently drop a value.
func Parse(data []byte) (Catalogue, error) {
	var c Catalogue
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Catalogue{}, fmt.Errorf("catalog: parse: %w", err)
	}
	if dec.More() {
		return Catalogue{}, errors.New("catalog: parse: data after the catalogue")
	}
	if !isDivisionCode(c.Hall) {
		return Catalogue{}, fmt.Errorf("catalog: parse: hall %q is not a 6-digit division code", c.Hall)
	}
	if c.Version == "" {
		return Catalogue{}, errors.New("catalog: parse: version is empty")
	}
	codes := make(map[string]bool, len(c.Matters))
	for i, m := range c.Matters {
		if err := m.Validate(); err != nil {
			return Catalogue{}, fmt.Errorf("catalog: parse: matters[%d]: %w", i, err)
		}
		if codes[m.Code] {
			return Catalogue{}, fmt.Errorf("catalog: parse: matters[%d]: duplicate code %q", i, m.Code)
		}
		codes[m.Code] = true
	}
	return c, nil
}
