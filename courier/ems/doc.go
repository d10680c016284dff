// Package ems is the adapter for China Post EMS's open-API gateway.
//
// The gateway details below follow the contract documents as we hold them and must be
// checked against each deployment's EMS agreement (verify against the contract):
//
// Every call is an HTTP POST, application/x-www-form-urlencoded, to one gateway URL
// with the fields method, app_key, timestamp ("2006-01-02 15:04:05", China time),
// format ("json"), v ("1.0"), sign_method ("sha256"), biz_content (the JSON request)
// and sign. See Sign for the exact canonical string.
//
// Methods: ems.inland.order.create.normal (book a pickup; idempotent on our
// logisticsOrderNo), ems.inland.trace.query (one mail number a call),
// ems.inland.waybill.got.cancellation (cancel before pickup).
//
// Every answer is JSON with success "T" or "F", errorCode and errorMsg, plus the
// method's own fields (mailNo for a create, traces for a query).
package ems
