package config

// Settlement is the central finance node.
type Settlement struct {
	Common
}

// Validate checks every field and names the first bad one.
func (s *Settlement) Validate() error { return s.Common.Validate() }
