package ident

// checkChars maps (sum of weighted digits) mod 11 to the ISO 7064 MOD 11-2
// check character. It is the table GB 11643 prints as "10X98765432".
const checkChars = "10X98765432"

// mod112 returns the ISO 7064 MOD 11-2 check character over digits, which
// must be ASCII digits only. The weight of each digit is 2^k mod 11 where k
// is its distance from the check character, so for 17 digits the weights
// are GB 11643's 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2. Because 2 is a
// primitive root modulo 11, every weight is non-zero and neighbouring
// weights differ, so any single wrong digit and any swap of two adjacent
// characters changes the check character.
func mod112(digits string) byte {
	sum, w := 0, 2 // the digit next to the check character has weight 2
	for i := len(digits) - 1; i >= 0; i-- {
		sum += int(digits[i]-'0') * w
		w = w * 2 % 11
	}
	return checkChars[sum%11]
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
