package ident

import "fmt"

// Reasons carried by [IDError] and [CaseNoError]. They are stable codes that
// callers may branch on and that HTTP problem responses expose.
const (
	ReasonLength    = "length"     // wrong number of characters
	ReasonChars     = "chars"      // a character not allowed at its place
	ReasonBirthDate = "birth_date" // resident ID: no such date, before 1900 or in the future
	ReasonRegion    = "region"     // unknown province or division code
	ReasonCheckChar = "check_char" // check character does not match
	ReasonType      = "type"       // ID type code not known
	ReasonDate      = "date"       // case number: no such date
	ReasonSerial    = "serial"     // case number: serial 00000
)

// IDError explains why an identity document number was rejected. Type is
// the ID type code (such as [TypeResidentID]) when known.
type IDError struct {
	Type   string
	Reason string
}

func (e *IDError) Error() string {
	return fmt.Sprintf("ident: %s number invalid: %s", typeLabelEN(e.Type), e.MessageEN())
}

// MessageZH is the reason in Chinese, for the window clerk.
func (e *IDError) MessageZH() string {
	switch e.Reason {
	case ReasonLength:
		return "位数错误"
	case ReasonChars:
		return "含有不允许的字符"
	case ReasonBirthDate:
		return "出生日期无效"
	case ReasonRegion:
		return "地区码无效"
	case ReasonCheckChar:
		return "校验位错误"
	case ReasonType:
		return "证件类型不支持"
	}
	return "号码无效"
}

// MessageEN is the reason in English.
func (e *IDError) MessageEN() string {
	switch e.Reason {
	case ReasonLength:
		return "wrong length"
	case ReasonChars:
		return "contains characters that are not allowed"
	case ReasonBirthDate:
		return "birth date is not a valid date"
	case ReasonRegion:
		return "region code is not valid"
	case ReasonCheckChar:
		return "check character does not match"
	case ReasonType:
		return "ID type is not supported"
	}
	return "invalid number"
}

// CaseNoError explains why a case number was rejected.
type CaseNoError struct {
	Reason string
}

func (e *CaseNoError) Error() string {
	return "ident: case number invalid: " + e.MessageEN()
}

// MessageZH is the reason in Chinese, for the window clerk.
func (e *CaseNoError) MessageZH() string {
	switch e.Reason {
	case ReasonLength:
		return "办件编号应为20位"
	case ReasonChars:
		return "办件编号含有不允许的字符"
	case ReasonRegion:
		return "办件编号的行政区划代码无效"
	case ReasonDate:
		return "办件编号的日期无效"
	case ReasonSerial:
		return "办件编号的流水号无效"
	case ReasonCheckChar:
		return "办件编号校验位错误，请核对是否录入有误"
	}
	return "办件编号无效"
}

// MessageEN is the reason in English.
func (e *CaseNoError) MessageEN() string {
	switch e.Reason {
	case ReasonLength:
		return "a case number has 20 characters"
	case ReasonChars:
		return "contains characters that are not allowed"
	case ReasonRegion:
		return "division code is not valid"
	case ReasonDate:
		return "date is not valid"
	case ReasonSerial:
		return "serial is not valid"
	case ReasonCheckChar:
		return "check character does not match; the number was probably mistyped"
	}
	return "invalid case number"
}
