package courier

import "testing"

func TestStatusRankOrdering(t *testing.T) {
	t.Parallel()
	for _, s := range Statuses() {
		if !s.Valid() || s.Rank() == 0 {
			t.Errorf("%s: not in the rank table", s)
		}
	}
	prev := 0
	for _, s := range Statuses() {
		if s.Rank() < prev {
			t.Errorf("Statuses() not in rank order at %s", s)
		}
		prev = s.Rank()
	}
	// Every terminal state outranks every non-terminal one.
	for _, a := range Statuses() {
		for _, b := range Statuses() {
			if a.IsTerminal() && !b.IsTerminal() && a.Rank() <= b.Rank() {
				t.Errorf("terminal %s ranks at or below %s", a, b)
			}
		}
	}
}

func TestAdvances(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cur, next Status
		want      bool
	}{
		{StatusCreated, StatusPickedUp, true},
		{StatusArrivedCity, StatusInTransit, false}, // a late sorting scan
		{StatusDelivered, StatusOutForDelivery, false},
		{StatusDelivered, StatusDelivered, true}, // replay is a no-op
		{StatusFailedAttempt, StatusOutForDelivery, true},
		{StatusOutForDelivery, StatusFailedAttempt, true},
		{StatusException, StatusInTransit, false}, // exceptions are sticky
		{StatusException, StatusReturning, true},
		{StatusDeliveredLocker, StatusDelivered, true},
		{StatusDelivered, StatusDeliveredProxy, false},
		{StatusCreated, Status("teleported"), false},
		{StatusCancelled, StatusPickedUp, false},
	}
	for _, tt := range tests {
		if got := Advances(tt.cur, tt.next); got != tt.want {
			t.Errorf("Advances(%s, %s) = %v, want %v", tt.cur, tt.next, got, tt.want)
		}
	}
}

func TestCountsAsReceived(t *testing.T) {
	t.Parallel()
	for _, s := range Statuses() {
		want := s == StatusDelivered
		if s.CountsAsReceived() != want {
			t.Errorf("%s.CountsAsReceived() = %v", s, !want)
		}
	}
	terminal := map[Status]bool{StatusDelivered: true, StatusDeliveredProxy: true,
		StatusDeliveredLocker: true, StatusReturned: true, StatusCancelled: true}
	for _, s := range Statuses() {
		if s.IsTerminal() != terminal[s] {
			t.Errorf("%s.IsTerminal() = %v", s, s.IsTerminal())
		}
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()
	if s, err := ParseStatus("delivered_proxy"); err != nil || s != StatusDeliveredProxy {
		t.Fatalf("ParseStatus: %v %v", s, err)
	}
	if _, err := ParseStatus("Delivered"); err == nil {
		t.Fatal("ParseStatus accepted a wrong case")
	}
}

func TestSigningStatus(t *testing.T) {
	t.Parallel()
	for text, want := range map[string]Status{
		"已签收,签收人:本人":      StatusDelivered,
		"已签收,门卫代签":        StatusDeliveredProxy,
		"您的快件已由菜鸟驿站代收点签收": StatusDeliveredLocker,
		"快件已投递至丰巢智能柜":     StatusDeliveredLocker,
		"":                StatusDelivered,
	} {
		if got := SigningStatus(text); got != want {
			t.Errorf("SigningStatus(%q) = %s, want %s", text, got, want)
		}
	}
}

func TestParseLocalTime(t *testing.T) {
	t.Parallel()
	got, err := ParseLocalTime("2025-03-02 09:10:00")
	if err != nil || got.UTC().Hour() != 1 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"0001-01-01 08:00:00", "2100-01-01 00:00:00", "2025-03-02", ""} {
		if _, err := ParseLocalTime(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
