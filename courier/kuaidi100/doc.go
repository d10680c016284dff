// Package kuaidi100 tracks parcels of most Chinese couriers through kuaidi100
// (api.kuaidi100.com): a real-time query, a subscription, and the pushes that follow
// it. It is a courier.Tracker and a courier.CallbackHandler; it books nothing.
//
// Query: POST form customer, param (JSON) and sign = UPPER(MD5(param + key +
// customer)) to /poll/query.do. Subscribe: POST form schema=json and param = {company,
// number, key, parameters: {callbackurl, salt, phone, resultv2}} to /poll. Pushes:
// POST form param and sign, valid when sign == UPPER(MD5(param + salt)); kuaidi100
// retries (3 times, 35 minutes apart) until it reads exactly
// {"result":true,"returnCode":"200","message":"成功"}.
package kuaidi100
