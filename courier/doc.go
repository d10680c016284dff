// Package courier is what Tongban knows about couriers, independent of any one of them:
// the status vocabulary every carrier is normalised to, the shipment and order shapes,
// the small interfaces adapters implement (Carrier, Tracker, CallbackHandler), the
// errors callers branch on, and the HTTP client the adapters share.
//
// Adapters live in sub-packages (courier/sf, courier/ems, courier/kuaidi100); the
// simulator that speaks all of their protocols lives in courier/sim. Paper travels by
// courier, so a parcel's status is evidence in a government handoff: adapters keep
// every carrier's raw code next to the normalised status, and the vocabulary refuses
// to let a late or replayed event move a parcel backwards.
package courier
