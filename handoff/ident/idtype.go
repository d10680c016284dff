package ident

import "strings"

// ID type codes of the intake form, after GB/T 39046.
const (
	TypeResidentID  = "111" // 居民身份证
	TypePassport    = "414" // 护照
	TypeHKMacaoPass = "516" // 港澳居民来往内地通行证
	TypeTaiwanPass  = "511" // 台湾居民来往大陆通行证
	TypeUSCC        = "001" // 统一社会信用代码 (organisations)
)

// IDTypes maps each supported ID type code to its Chinese name.
var IDTypes = map[string]string{
	TypeResidentID:  "居民身份证",
	TypePassport:    "护照",
	TypeHKMacaoPass: "港澳居民来往内地通行证",
	TypeTaiwanPass:  "台湾居民来往大陆通行证",
	TypeUSCC:        "统一社会信用代码",
}

func typeLabelEN(t string) string {
	switch t {
	case TypeResidentID:
		return "resident ID"
	case TypePassport:
		return "passport"
	case TypeHKMacaoPass:
		return "Hong Kong/Macao permit"
	case TypeTaiwanPass:
		return "Taiwan permit"
	case TypeUSCC:
		return "unified social credit code"
	}
	return "ID"
}

// NormalizeIDNumber trims white space and upper-cases letters, the form in
// which any ID number is stored and compared.
func NormalizeIDNumber(idType, number string) string {
	return strings.ToUpper(strings.TrimSpace(number))
}

// ValidIDNumber checks number as a document of type idType. Resident ID
// numbers and unified social credit codes are checked fully, including the
// check character; for the other types, whose formats have changed over the
// years, it only asks for 5 to 20 letters and digits. Lowercase letters are
// accepted; store the [NormalizeIDNumber] form. The error is an [*IDError].
func ValidIDNumber(idType, number string) error {
	n := NormalizeIDNumber(idType, number)
	switch idType {
	case TypeResidentID:
		return ValidResidentID(n)
	case TypeUSCC:
		return validUSCC(n)
	case TypePassport, TypeHKMacaoPass, TypeTaiwanPass:
		if len(n) < 5 || len(n) > 20 {
			return &IDError{Type: idType, Reason: ReasonLength}
		}
		for i := 0; i < len(n); i++ {
			if c := n[i]; !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
				return &IDError{Type: idType, Reason: ReasonChars}
			}
		}
		return nil
	}
	return &IDError{Type: idType, Reason: ReasonType}
}

// usccChars is the GB 32100 alphabet: digits and capitals without I, O, S,
// V and Z. A character's value is its index.
const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheckChar returns the GB 32100 check character for the first 17
// characters of a unified social credit code.
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, &IDError{Type: TypeUSCC, Reason: ReasonLength}
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccChars, first17[i])
		if v < 0 {
			return 0, &IDError{Type: TypeUSCC, Reason: ReasonChars}
		}
		sum += v * usccWeights[i]
	}
	return usccChars[(31-sum%31)%31], nil
}

func validUSCC(n string) error {
	if len(n) != 18 {
		return &IDError{Type: TypeUSCC, Reason: ReasonLength}
	}
	if strings.IndexByte(usccChars, n[17]) < 0 {
		return &IDError{Type: TypeUSCC, Reason: ReasonChars}
	}
	c, err := USCCCheckChar(n[:17])
	if err != nil {
		return err
	}
	if c != n[17] {
		return &IDError{Type: TypeUSCC, Reason: ReasonCheckChar}
	}
	return nil
}
