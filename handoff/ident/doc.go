// Package ident checks the identifiers a Tongban window clerk types or scans:
// mainland resident ID numbers (GB 11643), unified social credit codes
// (GB 32100), the other ID types of the intake form, and Tongban's own case
// numbers. It also masks personal data for screens, labels and logs.
//
// Every check here exists to catch a mistyped or misread number at the
// window, before a parcel travels to the partner city with a wrong number on
// it. None of it proves that a number was ever issued.
package ident
