package catalog

import (
	"errors"
	"strings"
	"testing"
)

// partner maps each hall to the city that decides the matters it accepts.
var partner = map[string]string{"440100": "440600", "440600": "440100"}

func TestLoadEmbedded(t *testing.T) {
	t.Parallel()
	if got := strings.Join(Halls(), ","); got != "440100,440600" {
		t.Fatalf("Halls() = %s", got)
	}
	for hall, decider := range partner {
		c, err := Load(hall)
		if err != nil {
			t.Fatalf("Load(%s): %v", hall, err)
		}
		if c.Hall != hall || c.Version == "" {
			t.Errorf("Load(%s): hall %q version %q", hall, c.Hall, c.Version)
		}
		if len(c.Matters) < 12 {
			t.Errorf("Load(%s): %d matters, want at least 12", hall, len(c.Matters))
		}
		codes := map[string]bool{}
		var immediate, promised, courier, waivable int
		for _, m := range c.Matters {
			if err := m.Validate(); err != nil {
				t.Errorf("%s: %v", hall, err)
			}
			if m.DecidingCity != decider {
				t.Errorf("%s: matter %s decided by %s, want partner %s", hall, m.Code, m.DecidingCity, decider)
			}
			if codes[m.Code] {
				t.Errorf("%s: duplicate code %s", hall, m.Code)
			}
			codes[m.Code] = true
			if len(m.Code) < 20 || len(m.Code) > 40 || !strings.Contains(m.Code, "DEMO") {
				t.Errorf("%s: code %s is not a 20–40 character demo code", hall, m.Code)
			}
			if n := len(m.Materials); n < 3 || n > 7 {
				t.Errorf("%s: matter %s has %d materials, want 3–7", hall, m.Code, n)
			}
			if m.CaseType == CaseTypeImmediate {
				immediate++
			} else {
				promised++
			}
			if m.Courier {
				courier++
			}
			for _, mat := range m.Materials {
				if mat.Waivable {
					waivable++
				}
			}
			if got, ok := c.Matter(m.Code); !ok || got.Name != m.Name {
				t.Errorf("%s: Matter(%s) not found", hall, m.Code)
			}
		}
		if immediate == 0 || promised == 0 || waivable == 0 || courier*2 <= len(c.Matters) {
			t.Errorf("%s: want a mix: %d immediate, %d promised, %d courier, %d waivable",
				hall, immediate, promised, courier, waivable)
		}
	}
}

func TestLoadUnknownHall(t *testing.T) {
	t.Parallel()
	for _, hall := range []string{"440300", "", "../data/440100", "44010"} {
		if _, err := Load(hall); !errors.Is(err, ErrUnknownHall) {
			t.Errorf("Load(%q) = %v, want ErrUnknownHall", hall, err)
		}
	}
}

func TestMatterMaterial(t *testing.T) {
	t.Parallel()
	m := validMatter()
	if mat, ok := m.Material("m2"); !ok || mat.Name != "居民身份证" {
		t.Errorf("Material(m2) = %+v, %v", mat, ok)
	}
	if _, ok := m.Material("m9"); ok {
		t.Error("Material(m9) found")
	}
	if _, ok := (Catalogue{}).Matter("x"); ok {
		t.Error("empty catalogue has a matter")
	}
}

const goodFile = `{"hall": "440100", "version": "t1", "matters": [
 {"code": "C1", "name": "测试事项", "deciding_city": "440600", "department": "测试局",
  "case_type": 2, "legal_limit": 20, "promised_limit": 5, "limit_unit": "working",
  "courier": true, "version": 1,
  "materials": [{"id": "m1", "name": "申请表", "originals": 1, "copies": 0, "required": true, "waivable": false}]}]}`

func TestParse(t *testing.T) {
	t.Parallel()
	c, err := Parse([]byte(goodFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Matters) != 1 || c.Matters[0].Materials[0].Name != "申请表" {
		t.Errorf("Parse = %+v", c)
	}
	bad := map[string]string{
		"syntax":        `{"hall":`,
		"unknown field": strings.Replace(goodFile, `"courier"`, `"courrier"`, 1),
		"trailing":      goodFile + `{}`,
		"hall":          strings.Replace(goodFile, `"440100"`, `"GZ"`, 1),
		"version":       strings.Replace(goodFile, `"t1"`, `""`, 1),
		"matter":        strings.Replace(goodFile, `"promised_limit": 5`, `"promised_limit": 25`, 1),
		"duplicate":     strings.Replace(goodFile, `]}]}`, `]}, `+goodFile[strings.Index(goodFile, `{"code"`):], 1),
	}
	for name, data := range bad {
		if _, err := Parse([]byte(data)); err == nil {
			t.Errorf("Parse accepted bad file (%s)", name)
		}
	}
	var fe *FieldError
	if _, err := Parse([]byte(bad["matter"])); !errors.As(err, &fe) || fe.Field != "promised_limit" {
		t.Errorf("Parse(bad limit) = %v, want FieldError on promised_limit", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(goodFile))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"hall":"440100","version":"1","matters":[{"materials":[{}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		for _, m := range c.Matters {
			if err := m.Validate(); err != nil {
				t.Fatalf("Parse accepted an invalid matter: %v", err)
			}
		}
	})
}
