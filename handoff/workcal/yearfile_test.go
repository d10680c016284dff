package workcal

import (
	"errors"
	"strings"
	"testing"
)

func TestLoadYearRejectsInvalidData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, data, want string
	}{
		{"not JSON", `{"year":`, "unexpected EOF"},
		{"unknown field", `{"year":2027,"version":"v","holidays":[{"name":"a","from":"2027-01-01","to":"2027-01-01"}],"workday":[]}`, "unknown field"},
		{"trailing data", year2027 + `{}`, "trailing data"},
		{"no year", `{"version":"v","holidays":[{"name":"a","from":"2027-01-01","to":"2027-01-01"}]}`, "year 0 outside"},
		{"no version", `{"year":2027,"holidays":[{"name":"a","from":"2027-01-01","to":"2027-01-01"}]}`, "version is empty"},
		{"no holidays", `{"year":2027,"version":"v"}`, "no holidays"},
		{"holiday without name", `{"year":2027,"version":"v","holidays":[{"from":"2027-01-01","to":"2027-01-01"}]}`, "has no name"},
		{"holiday outside the year", `{"year":2027,"version":"v","holidays":[{"name":"元旦","from":"2026-12-31","to":"2027-01-01"}]}`, `holiday "元旦" from: date 2026-12-31 is outside year 2027`},
		{"holiday backwards", `{"year":2027,"version":"v","holidays":[{"name":"春节","from":"2027-02-10","to":"2027-02-05"}]}`, "runs backwards"},
		{"loose date", `{"year":2027,"version":"v","holidays":[{"name":"a","from":"2027-1-1","to":"2027-01-01"}]}`, "not YYYY-MM-DD"},
		{"impossible date", `{"year":2027,"version":"v","holidays":[{"name":"a","from":"2027-02-30","to":"2027-03-01"}]}`, "not YYYY-MM-DD"},
		{"overlapping holidays", `{"year":2027,"version":"v","holidays":[{"name":"a","from":"2027-01-01","to":"2027-01-03"},{"name":"b","from":"2027-01-03","to":"2027-01-04"}]}`, `2027-01-03 is in both holiday "a" and holiday "b"`},
		{"day both holiday and workday", `{"year":2027,"version":"v","holidays":[{"name":"元旦","from":"2027-01-01","to":"2027-01-03"}],"workdays":["2027-01-02"]}`, `2027-01-02 is both a workday and part of holiday "元旦"`},
		{"workday outside the year", `{"year":2027,"version":"v","holidays":[{"name":"a","from":"2027-01-01","to":"2027-01-01"}],"workdays":["2028-01-08"]}`, "outside year 2027"},
		{"workday on a weekday", `{"year":2027,"version":"v","holidays":[{"name":"a","from":"2027-01-01","to":"2027-01-01"}],"workdays":["2027-01-05"]}`, "2027-01-05 is a Tuesday, not a weekend day"},
		{"workday twice", `{"year":2027,"version":"v","holidays":[{"name":"a","from":"2027-01-01","to":"2027-01-01"}],"workdays":["2027-01-09","2027-01-09"]}`, "listed twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := New().LoadYear([]byte(tt.data))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrInvalidData) || !strings.HasPrefix(err.Error(), "workcal: load year: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q: want ErrInvalidData, prefix \"workcal: load year: \" and %q", err, tt.want)
			}
		})
	}
}

// FuzzLoadYear feeds arbitrary bytes to the year-file parser, which reads
// files uploaded by operators. It must never panic, and any file it accepts
// must make every listed holiday a rest day in a calendar.
func FuzzLoadYear(f *testing.F) {
	f.Add([]byte(year2027))
	for _, name := range []string{"data/2025.json", "data/2026.json"} {
		data, err := embedded.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"year":2027,"version":"v","holidays":[{"name":"a","from":"2027-01-01","to":"2027-01-03"}],"workdays":["2027-01-02"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		y, err := parseYear(data)
		if err != nil {
			return
		}
		tbl := buildTable(y)
		for _, h := range y.holidays {
			for d := h.from; d <= h.to; d++ {
				if tbl.working(d) {
					t.Fatalf("accepted file leaves holiday day %s working", d)
				}
			}
		}
	})
}
