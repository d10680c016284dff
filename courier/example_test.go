package courier_test

import (
	"fmt"

	"github.com/tongban/tongban/courier"
)

func ExampleOrderID() {
	a := courier.OrderID("440106-2025-000123", "1")
	fmt.Println(a == courier.OrderID("440106-2025-000123", "1"), len(a), a[:2])
	// Output: true 24 TB
}

func ExampleAdvances() {
	// A sorting scan pushed late, after the parcel was delivered, does not move it back.
	fmt.Println(courier.Advances(courier.StatusDelivered, courier.StatusInTransit))
	fmt.Println(courier.StatusDeliveredProxy.IsTerminal(), courier.StatusDeliveredProxy.CountsAsReceived())
	// Output:
	// false
	// true false
}
