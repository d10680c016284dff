package config

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestLoadPrecedenceAndValidate(t *testing.T) {
	t.Setenv("TONGBAN_HALL_CODE", "440600")
	t.Setenv("TONGBAN_KAFKA_BROKERS", "k1:9092, k2:9092")
	t.Setenv("TONGBAN_KAFKA_SASL_PASSWORD", "hunter2")
	var h Hall
	rest, err := Load(&h, "hall", []string{"-http", "127.0.0.1:9999", "extra"})
	if err != nil {
		t.Fatal(err)
	}
	if h.Code != "440600" || h.HTTPAddr != "127.0.0.1:9999" || !h.Migrate || len(h.Brokers) != 2 || h.Brokers[1] != "k2:9092" {
		t.Fatalf("loaded %+v", h)
	}
	if len(rest) != 1 || rest[0] != "extra" {
		t.Fatalf("rest = %v", rest)
	}
	if err := h.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	eff := Effective(&h)
	if eff["TONGBAN_KAFKA_SASL_PASSWORD"] != "****" {
		t.Fatalf("password printed as %q", eff["TONGBAN_KAFKA_SASL_PASSWORD"])
	}
	b, _ := json.Marshal(h)
	if strings.Contains(string(b), "hunter2") {
		t.Fatalf("secret leaked into JSON: %s", b)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	cases := []struct {
		mutate func(*Hall)
		env    string
	}{
		{func(h *Hall) { h.Code = "4401" }, "TONGBAN_HALL_CODE"},
		{func(h *Hall) { h.HTTPAddr = "8080" }, "TONGBAN_HTTP_ADDR"},
		{func(h *Hall) { h.LogLevel = "loud" }, "TONGBAN_LOG_LEVEL"},
		{func(h *Hall) { h.SASLMechanism = "PLAIN" }, "TONGBAN_KAFKA_SASL_MECHANISM"},
		{func(h *Hall) { h.Brokers = []string{"nohost"} }, "TONGBAN_KAFKA_BROKERS"},
	}
	for _, c := range cases {
		var h Hall
		if _, err := Load(&h, "hall", nil); err != nil {
			t.Fatal(err)
		}
		c.mutate(&h)
		err := h.Validate()
		var p *Problem
		if !errors.As(err, &p) || p.Env != c.env || p.Accepted == "" {
			t.Errorf("Validate = %v, want a Problem naming %s", err, c.env)
		}
	}
}

func TestBadValueNamesVariable(t *testing.T) {
	t.Setenv("TONGBAN_SHUTDOWN_TIMEOUT", "soon")
	var h Hall
	_, err := Load(&h, "hall", nil)
	if err == nil || !strings.Contains(err.Error(), "TONGBAN_SHUTDOWN_TIMEOUT") || !strings.Contains(err.Error(), "duration") {
		t.Fatalf("err = %v", err)
	}
}

func TestRedactURL(t *testing.T) {
	if got := redactURL("postgres://u:pw@h:5432/db"); got != "postgres://u:****@h:5432/db" {
		t.Fatal(got)
	}
}
