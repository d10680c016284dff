package catalog

import (
	"fmt"
	"strconv"
)

// Case types of GB/T 39046.
const (
	CaseTypeImmediate = 1 // 即办件: decided on the spot once accepted
	CaseTypePromised  = 2 // 承诺件: decided within the promised limit
)

// Units of a time limit.
const (
	UnitWorking = "working" // 工作日, statutory holidays excluded
	UnitNatural = "natural" // 自然日
)

// MaxCodeLen bounds a matter's implementation code.
const MaxCodeLen = 64

// Matter is one entry of the catalogue: something an applicant can ask
// for at the hall, decided by the department of DecidingCity.
type Matter struct {
	Code          string     `json:"code"`           // 实施编码
	Name          string     `json:"name"`           // 事项名称
	DecidingCity  string     `json:"deciding_city"`  // GB/T 2260 division code of the deciding side
	Department    string     `json:"department"`     // deciding department
	CaseType      int        `json:"case_type"`      // CaseTypeImmediate or CaseTypePromised
	LegalLimit    int        `json:"legal_limit"`    // 法定办结时限
	PromisedLimit int        `json:"promised_limit"` // 承诺办结时限, at most LegalLimit
	LimitUnit     string     `json:"limit_unit"`     // UnitWorking or UnitNatural
	Courier       bool       `json:"courier"`        // the result may be sent by courier
	Materials     []Material `json:"materials"`
	Version       int        `json:"version"` // version of this matter's entry, from 1
}

// Material is one item of a matter's material list.
type Material struct {
	ID        string `json:"id"`        // stable short id within the matter, such as "m1"
	Name      string `json:"name"`      // 材料名称
	Originals int    `json:"originals"` // 原件份数
	Copies    int    `json:"copies"`    // 复印件份数
	Required  bool   `json:"required"`  // 是否必需
	Waivable  bool   `json:"waivable"`  // 可容缺: may be missing under a written commitment
	Note      string `json:"note,omitempty"`
}

// Material returns the material with the given id.
func (m Matter) Material(id string) (Material, bool) {
	for _, mat := range m.Materials {
		if mat.ID == id {
			return mat, true
		}
	}
	return Material{}, false
}

// FieldError names the field of a matter that failed validation, with the
// reason in Chinese and English. Field uses the JSON names, such as
// "promised_limit" or "materials[2].id".
type FieldError struct {
	Code     string // the matter's code, if it has one
	Field    string
	ReasonZH string
	ReasonEN string
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("catalog: matter %q: %s: %s", e.Code, e.Field, e.ReasonEN)
}

// Validate checks m and returns a [*FieldError] for the first bad field.
func (m Matter) Validate() error {
	bad := func(field, zh, en string) error {
		return &FieldError{Code: m.Code, Field: field, ReasonZH: zh, ReasonEN: en}
	}
	switch {
	case m.Code == "":
		return bad("code", "实施编码不能为空", "must not be empty")
	case len(m.Code) > MaxCodeLen:
		return bad("code", "实施编码超过64个字符", "longer than 64 characters")
	case m.Name == "":
		return bad("name", "事项名称不能为空", "must not be empty")
	case !isDivisionCode(m.DecidingCity):
		return bad("deciding_city", "办理地应为6位行政区划代码", "must be a 6-digit division code")
	case m.CaseType != CaseTypeImmediate && m.CaseType != CaseTypePromised:
		return bad("case_type", "办件类型应为1（即办件）或2（承诺件）", "must be 1 (immediate) or 2 (promised)")
	case m.LegalLimit <= 0:
		return bad("legal_limit", "法定时限应大于0", "must be greater than 0")
	case m.PromisedLimit <= 0:
		return bad("promised_limit", "承诺时限应大于0", "must be greater than 0")
	case m.PromisedLimit > m.LegalLimit:
		return bad("promised_limit", "承诺时限不得超过法定时限", "must not exceed the legal limit")
	case m.LimitUnit != UnitWorking && m.LimitUnit != UnitNatural:
		return bad("limit_unit", "时限单位应为working（工作日）或natural（自然日）", `must be "working" or "natural"`)
	case len(m.Materials) == 0:
		return bad("materials", "至少需要一项申请材料", "must list at least one material")
	case m.Version < 1:
		return bad("version", "版本号应从1开始", "must be 1 or more")
	}
	seen := make(map[string]bool, len(m.Materials))
	for i, mat := range m.Materials {
		f := "materials[" + strconv.Itoa(i) + "]."
		switch {
		case mat.ID == "":
			return bad(f+"id", "材料编号不能为空", "must not be empty")
		case seen[mat.ID]:
			return bad(f+"id", "材料编号重复："+mat.ID, "duplicate id "+mat.ID)
		case mat.Name == "":
			return bad(f+"name", "材料名称不能为空", "must not be empty")
		case mat.Originals < 0:
			return bad(f+"originals", "原件份数不能为负数", "must not be negative")
		case mat.Copies < 0:
			return bad(f+"copies", "复印件份数不能为负数", "must not be negative")
		case mat.Originals+mat.Copies < 1:
			return bad(f+"copies", "原件与复印件合计至少1份", "originals and copies must add up to at least 1")
		case mat.Waivable && !mat.Required:
			return bad(f+"waivable", "非必需材料无需容缺", "only a required material can be waived")
		}
		seen[mat.ID] = true
	}
	return nil
}

func isDivisionCode(s string) bool {
	if len(s) != 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
