// Package sf is the adapter for the SF Express open platform (丰桥, open.sf-express.com).
//
// Every call is an HTTP POST, application/x-www-form-urlencoded, to one service URL
// (sandbox https://sfapi-sbox.sf-express.com/std/service, production
// https://bspgw.sf-express.com/std/service; configurable) with the fields partnerID,
// requestID (a fresh UUID per attempt), serviceCode, timestamp (milliseconds),
// msgData (the JSON request) and msgDigest (see MsgDigest).
//
// The answer's apiResultCode A1000 only means the gateway took the call; the business
// result is the JSON string apiResultData, with its own success flag, errorCode and
// msgData. Services used: EXP_RECE_CREATE_ORDER, EXP_RECE_UPDATE_ORDER (dealType 2
// cancels), EXP_RECE_SEARCH_ORDER_RESP (look an order up by our order id) and
// EXP_RECE_SEARCH_ROUTES (at most 10 numbers a call; Track batches).
package sf
