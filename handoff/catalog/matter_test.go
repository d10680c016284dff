package catalog

import (
	"errors"
	"strings"
	"testing"
)

func validMatter() Matter {
	return Matter{
		Code: "11440600DEMOSCJG0X44400070000", Name: "营业执照变更登记", DecidingCity: "440600",
		Department: "佛山市市场监督管理局", CaseType: CaseTypePromised,
		LegalLimit: 15, PromisedLimit: 3, LimitUnit: UnitWorking, Courier: true, Version: 1,
		Materials: []Material{
			{ID: "m1", Name: "申请书", Originals: 1, Required: true},
			{ID: "m2", Name: "居民身份证", Originals: 1, Copies: 1, Required: true, Waivable: true},
			{ID: "m3", Name: "授权委托书", Originals: 1},
		},
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	if err := validMatter().Validate(); err != nil {
		t.Fatalf("valid matter rejected: %v", err)
	}
	tests := []struct {
		field  string
		change func(*Matter)
	}{
		{"code", func(m *Matter) { m.Code = "" }},
		{"code", func(m *Matter) { m.Code = strings.Repeat("A", 65) }},
		{"name", func(m *Matter) { m.Name = "" }},
		{"deciding_city", func(m *Matter) { m.DecidingCity = "" }},
		{"deciding_city", func(m *Matter) { m.DecidingCity = "4406001" }},
		{"deciding_city", func(m *Matter) { m.DecidingCity = "FS0600" }},
		{"case_type", func(m *Matter) { m.CaseType = 0 }},
		{"case_type", func(m *Matter) { m.CaseType = 3 }},
		{"legal_limit", func(m *Matter) { m.LegalLimit = 0 }},
		{"promised_limit", func(m *Matter) { m.PromisedLimit = -1 }},
		{"promised_limit", func(m *Matter) { m.PromisedLimit = 16 }},
		{"limit_unit", func(m *Matter) { m.LimitUnit = "" }},
		{"limit_unit", func(m *Matter) { m.LimitUnit = "工作日" }},
		{"materials", func(m *Matter) { m.Materials = nil }},
		{"version", func(m *Matter) { m.Version = 0 }},
		{"materials[1].id", func(m *Matter) { m.Materials[1].ID = "" }},
		{"materials[2].id", func(m *Matter) { m.Materials[2].ID = "m1" }},
		{"materials[0].name", func(m *Matter) { m.Materials[0].Name = "" }},
		{"materials[0].originals", func(m *Matter) { m.Materials[0].Originals = -1 }},
		{"materials[0].copies", func(m *Matter) { m.Materials[0].Copies = -1 }},
		{"materials[0].copies", func(m *Matter) { m.Materials[0].Originals = 0 }},
		{"materials[2].waivable", func(m *Matter) { m.Materials[2].Waivable = true }},
	}
	for _, tt := range tests {
		m := validMatter()
		tt.change(&m)
		err := m.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("want error on %s, got %v", tt.field, err)
			continue
		}
		if fe.ReasonZH == "" || fe.ReasonEN == "" || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: incomplete error %#v", tt.field, fe)
		}
	}
	// Limits in natural days and immediate cases are fine too.
	m := validMatter()
	m.LimitUnit, m.CaseType, m.PromisedLimit = UnitNatural, CaseTypeImmediate, 15
	if err := m.Validate(); err != nil {
		t.Errorf("natural-day immediate matter rejected: %v", err)
	}
}
