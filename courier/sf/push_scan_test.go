package sf

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestScanPushBody: pushes as SF writes them take the scanner, and whatever the
// scanner declines (escapes, folded keys, repeated keys, nested unknown members,
// invalid JSON) is left to encoding/json. Where the scanner answers, it answers as
// encoding/json does.
func TestScanPushBody(t *testing.T) {
	for _, tt := range []struct {
		body string
		fast bool
	}{
		{pushJSON, true},
		{" {\n\t\"Body\" : { \"WaybillRoute\" : [ ] } , \"n\": -1.5e+3, \"t\": true, \"f\": false, \"z\": null } \r\n", true},
		{`{}`, true},
		{`{"Body":{"WaybillRoute":[{"mailno":"SF1","extra":"x","opCode":"80","reasonCode":""}]}}`, true},
		{`{"Body":{"WaybillRoute":[{"mailno":"SF\u0031"}]}}`, false},
		{`{"Body":{"WaybillRoute":[{"MailNo":"SF1"}]}}`, false},
		{`{"body":{"WaybillRoute":[{"mailno":"SF1"}]}}`, false},
		{`{"Body":{"waybillroute":[{"mailno":"SF1"}]}}`, false},
		{`{"Body":{"WaybillRoute":[{"mailno":"SF1","mailno":"SF2"}]}}`, false},
		{`{"Body":{"WaybillRoute":[{"mailno":"SF1"}],"WaybillRoute":[]}}`, false},
		{`{"Body":{"WaybillRoute":[{"mailno":"SF1","nested":{"a":1}}]}}`, false},
		{`{"Body":{"WaybillRoute":[{"mailno":1}]}}`, false},
		{`{"Body":{"WaybillRoute":[{"mailno":null}]}}`, false},
		{`{"Body":{"WaybillRoute":[{"mailno":"SF1"}]}} x`, false},
		{`{"Body":{"WaybillRoute":[{"mailno":"SF1",}]}}`, false},
		{`{"n": 01}`, false},
		{"{\"Body\":{\"WaybillRoute\":[{\"mailno\":\"\xff\"}]}}", false},
		{`{"Body":{"WaybillRoute":[{"mailno":"SF1"}]`, false},
	} {
		got, ok := scanPushBody([]byte(tt.body))
		if ok != tt.fast {
			t.Errorf("%s: scanned %v, want %v", tt.body, ok, tt.fast)
		}
		if !ok {
			continue
		}
		var want PushBody
		if err := json.Unmarshal([]byte(tt.body), &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: scanned %+v, encoding/json %+v %v", tt.body, got, want, err)
		}
	}
}

// FuzzScanPushBody: whenever the scanner takes a body, encoding/json reads the same
// push from it.
func FuzzScanPushBody(f *testing.F) {
	f.Add([]byte(pushJSON))
	f.Add([]byte(`{"Body":{"WaybillRoute":[{"mailno":"SF1","x":-0.5E-2,"opCode":"80"}]},"y":[1]}`))
	f.Add([]byte(`{"Body":{"WaybillRoute":[{"reasonname":"a","remarK":"b"}]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, ok := scanPushBody(body)
		if !ok {
			return
		}
		var want PushBody
		if err := json.Unmarshal(body, &want); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: scanned %+v, encoding/json %+v %v", body, got, want, err)
		}
	})
}
