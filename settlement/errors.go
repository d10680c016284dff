package settlement

import "errors"

// Errors callers branch on; the API maps them to problem+json.
var (
	ErrNotFound     = errors.New("settlement: not found")
	ErrPeriodClosed = errors.New("settlement: period is closed")
	ErrMakerChecker = errors.New("settlement: the approver must not be the preparer")
	ErrState        = errors.New("settlement: not allowed in the current state")
	ErrNoTariff     = errors.New("settlement: no tariff applies")
)

// FieldError is bad input in one named field, with the reason in Chinese and English.
type FieldError struct {
	Field, ZH, EN string
}

func (e *FieldError) Error() string { return "settlement: " + e.Field + ": " + e.EN }

func fieldErr(field, zh, en string) *FieldError { return &FieldError{Field: field, ZH: zh, EN: en} }

// StateError says why a move is refused in the current state.
type StateError struct {
	ZH, EN string
}

func (e *StateError) Error() string { return "settlement: " + e.EN }

func (e *StateError) Unwrap() error { return ErrState }
