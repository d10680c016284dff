// Package sim is a courier simulator: one http.Handler that speaks the SF open
// platform, the EMS gateway and kuaidi100 the way the adapters in courier/sf,
// courier/ems and courier/kuaidi100 do — same signatures, same bodies, same answers —
// so that the adapters, and everything above them, can be tested over real HTTP
// against known truth.
//
// Paths: SF at /sf/std/service, EMS at /ems/api/gateway, kuaidi100 at
// /kuaidi100/poll/query.do and /kuaidi100/poll. Point an adapter's BaseURL at
// <server>/sf, <server>/ems or <server>/kuaidi100.
//
// Time is virtual. Each order gets a journey of scans scheduled from its creation
// (picked up after about 2h, sorted, departed, arrived in the destination city after
// about 20h, out for delivery, signed after about 29h, each jittered by the seeded
// random source). Nothing happens until the clock moves: tests call Advance, and a
// Server started with Config.Speed > 0 advances the clock Speed virtual seconds per
// real second. Advancing delivers the scans that fell due as signed pushes — SF route
// pushes to the account's PushURL, kuaidi100 pushes to each subscription's
// callbackurl — and retries pushes whose answer was not the carrier's exact success
// answer (kuaidi100 three times, 35 minutes apart; SF three times, 10 minutes apart).
//
// Faults (Faults, settable in Config and at POST /sim/faults) inject what real
// couriers do: error answers at a rate, latency, duplicate and out-of-order pushes,
// lost parcels, signing by someone else, locker delivery, pushes signed with the wrong
// key, and creates that commit and then never answer in time.
//
// Bills: Bill writes a month's bill for an account, as CSV (UTF-8 with BOM, or GBK)
// or XLSX, in a carrier-like layout, with a share of planted billing errors and an
// answer key naming each planted error by line (see bill.go).
package sim
