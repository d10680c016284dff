package sim

import (
	"strings"
	"time"
)

var cst = time.FixedZone("CST", 8*3600)

// provinces names provincial divisions by the first two digits of their code
// (GB/T 2260). Tariff zones and bill columns use them.
var provinces = map[string]string{
	"11": "北京市", "12": "天津市", "13": "河北省", "14": "山西省", "15": "内蒙古自治区",
	"21": "辽宁省", "22": "吉林省", "23": "黑龙江省", "31": "上海市", "32": "江苏省",
	"33": "浙江省", "34": "安徽省", "35": "福建省", "36": "江西省", "37": "山东省",
	"41": "河南省", "42": "湖北省", "43": "湖南省", "44": "广东省", "45": "广西壮族自治区",
	"46": "海南省", "50": "重庆市", "51": "四川省", "52": "贵州省", "53": "云南省",
	"54": "西藏自治区", "61": "陕西省", "62": "甘肃省", "63": "青海省", "64": "宁夏回族自治区",
	"65": "新疆维吾尔自治区",
}

// place is where a parcel starts or ends.
type place struct {
	Code string // six-digit division code, or the province's two digits + "0000" when only the name was given
	Name string // city or province name for scans and bills
}

func (p place) province() string {
	if len(p.Code) < 2 {
		return ""
	}
	return p.Code[:2]
}

func (p place) provinceName() string {
	if n, ok := provinces[p.province()]; ok {
		return n
	}
	return "未知"
}

// placeOf builds a place from what a request carried: a division code when there is
// one, else the province named by the province field or the start of the address,
// the way a carrier parses a written address.
func placeOf(code, province, city, address string) place {
	if len(code) == 6 {
		name := city
		if name == "" {
			name = provinces[code[:2]]
		}
		return place{Code: code, Name: name}
	}
	for _, text := range []string{province, address} {
		if pc := provinceIn(text); pc != "" {
			if city == "" {
				city = provinces[pc]
			}
			return place{Code: pc + "0000", Name: city}
		}
	}
	if city == "" {
		city = "未知"
	}
	return place{Name: city}
}

// provinceIn finds the province a text starts with by its first two characters,
// which are unique among provinces (北京, 内蒙, 黑龙 ...).
func provinceIn(text string) string {
	r := []rune(text)
	if len(r) < 2 {
		return ""
	}
	head := string(r[:2])
	for pc, name := range provinces {
		if strings.HasPrefix(name, head) {
			return pc
		}
	}
	return ""
}
