package ident

import "testing"

func TestMasks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		fn   func(string) string
		in   string
		want string
	}{
		{"id", MaskID, "440106199003071234", "440106********1234"},
		{"id x", MaskID, " 11010519491231002X ", "110105********002X"},
		{"id short", MaskID, "E12345678", "E1*****78"},
		{"id tiny", MaskID, "abc", "***"},
		{"id empty", MaskID, "", ""},
		{"phone", MaskPhone, "13812345678", "138****5678"},
		{"phone landline", MaskPhone, "020-83123456", "020*****3456"},
		{"phone short", MaskPhone, "12345", "1***5"},
		{"name", MaskName, "张三", "张*"},
		{"name compound", MaskName, "欧阳娜娜", "欧阳**"},
		{"name compound three", MaskName, "欧阳修", "欧阳*"},
		{"name compound two", MaskName, "欧阳", "欧*"},
		{"name three", MaskName, "王小明", "王**"},
		{"name latin", MaskName, "Anna Lee", "A*******"},
		{"name one", MaskName, "张", "*"},
		{"name empty", MaskName, " ", ""},
		{"address", MaskAddress, "广东省广州市天河区天河路123号", "广东省广州市****"},
		{"address short", MaskAddress, "佛山市禅城区", "佛山市****"},
		{"address empty", MaskAddress, "", ""},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("%s: mask(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}
