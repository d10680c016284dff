package handoff

import (
	"errors"
	"fmt"
)

// Errors callers branch on; the API maps them to problem+json.
var (
	ErrNotFound = errors.New("handoff: not found")
	ErrNotYours = errors.New("handoff: this hall may not make that move now")
	// ErrPartnerUnknown is a partner hall whose keys are not configured here.
	ErrPartnerUnknown = errors.New("handoff: partner hall not registered (TONGBAN_PARTNERS)")
)

// StateError is a move the case's current state does not allow.
type StateError struct {
	Move    string
	Current State
}

func (e *StateError) Error() string {
	return fmt.Sprintf("handoff: %s not allowed from state %s", e.Move, e.Current)
}

// FieldError is bad input, naming the field, in Chinese and English.
type FieldError struct {
	Field string
	ZH    string
	EN    string
}

func (e *FieldError) Error() string { return "handoff: " + e.Field + ": " + e.EN }

func fieldErr(field, zh, en string) *FieldError { return &FieldError{field, zh, en} }
