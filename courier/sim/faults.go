package sim

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// Faults are the failures the simulator injects. Rates are shares from 0 to 1.
type Faults struct {
	// ErrorRate is the share of API calls answered with a retryable failure instead
	// of being processed. ErrorKind picks it: "http_500" (default) or "rate_limit"
	// (the carrier's own answer: SF A1005, EMS isp.rate-limited, kuaidi100 502).
	ErrorRate float64 `json:"error_rate"`
	ErrorKind string  `json:"error_kind"`
	// LatencyMS is added before every API answer.
	LatencyMS int `json:"latency_ms"`
	// DuplicatePushes sends every push twice.
	DuplicatePushes bool `json:"duplicate_pushes"`
	// OutOfOrderPushes sends the pushes that fall due in one clock step newest first.
	OutOfOrderPushes bool `json:"out_of_order_pushes"`
	// Shares of new orders that are lost after leaving the origin, signed by someone
	// other than the addressee, or left in a locker. Drawn once per order at creation.
	LostRate      float64 `json:"lost_rate"`
	ProxySignRate float64 `json:"proxy_sign_rate"`
	LockerRate    float64 `json:"locker_rate"`
	// BadSignatureRate is the share of pushes signed with a key that is not the
	// account's.
	BadSignatureRate float64 `json:"bad_signature_rate"`
	// CreateTimeouts makes the next N creates commit the order and then hold the
	// answer until the caller gives up (or StallMS passes), so the caller must look
	// the order up.
	CreateTimeouts int `json:"create_timeouts"`
	// StallMS bounds a held answer. Default 30000.
	StallMS int `json:"stall_ms"`
}

// Validate names the first bad field.
func (f Faults) Validate() error {
	for name, r := range map[string]float64{"error_rate": f.ErrorRate, "lost_rate": f.LostRate,
		"proxy_sign_rate": f.ProxySignRate, "locker_rate": f.LockerRate, "bad_signature_rate": f.BadSignatureRate} {
		if r < 0 || r > 1 {
			return errors.New("sim: faults: " + name + " must be between 0 and 1")
		}
	}
	switch {
	case f.ProxySignRate+f.LockerRate > 1:
		return errors.New("sim: faults: proxy_sign_rate + locker_rate must not exceed 1")
	case f.ErrorKind != "" && f.ErrorKind != "http_500" && f.ErrorKind != "rate_limit":
		return errors.New("sim: faults: error_kind must be http_500 or rate_limit")
	case f.LatencyMS < 0 || f.StallMS < 0 || f.CreateTimeouts < 0:
		return errors.New("sim: faults: latency_ms, stall_ms and create_timeouts must not be negative")
	}
	return nil
}

func (f Faults) stall() time.Duration {
	if f.StallMS == 0 {
		return 30 * time.Second
	}
	return time.Duration(f.StallMS) * time.Millisecond
}

// SetFaults replaces the faults in force.
func (s *Sim) SetFaults(f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	return nil
}

// Faults returns the faults in force.
func (s *Sim) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// injected decides, for one API call, whether to answer with a failure, and how.
// It returns "" to process the call.
func (s *Sim) injected() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.ErrorRate > 0 && s.rng.Float64() < s.faults.ErrorRate {
		s.stats.InjectedErrors++
		if s.faults.ErrorKind == "rate_limit" {
			return "rate_limit"
		}
		return "http_500"
	}
	return ""
}

// takeCreateTimeout consumes one pending create timeout.
func (s *Sim) takeCreateTimeout() (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.CreateTimeouts == 0 {
		return 0, false
	}
	s.faults.CreateTimeouts--
	s.stats.StalledCreates++
	return s.faults.stall(), true
}

func (s *Sim) latency() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return time.Duration(s.faults.LatencyMS) * time.Millisecond
}

// handleFaults serves GET and POST /sim/faults. POST takes a full Faults JSON.
func (s *Sim) handleFaults(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var f Faults
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			http.Error(w, "sim: faults: "+err.Error(), http.StatusBadRequest)
			return
		}
		if err := s.SetFaults(f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	writeJSON(w, s.Faults())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}
