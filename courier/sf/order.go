package sf

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/tongban/tongban/courier"
)

type contactInfo struct {
	ContactType int    `json:"contactType"` // 1 sender, 2 recipient
	Company     string `json:"company,omitempty"`
	Contact     string `json:"contact"`
	Mobile      string `json:"mobile,omitempty"`
	Tel         string `json:"tel,omitempty"`
	Province    string `json:"province,omitempty"`
	City        string `json:"city,omitempty"`
	County      string `json:"county,omitempty"`
	Address     string `json:"address"`
}

type cargoDetail struct {
	Name     string  `json:"name"`
	Count    int     `json:"count"`
	Unit     string  `json:"unit"`
	Weight   float64 `json:"weight"` // kg
	Amount   float64 `json:"amount,omitempty"`
	Currency string  `json:"currency,omitempty"`
}

type service struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
}

type createRequest struct {
	Language           string        `json:"language"`
	OrderID            string        `json:"orderId"`
	MonthlyCard        string        `json:"monthlyCard"`
	ExpressTypeID      int           `json:"expressTypeId"`
	PayMethod          int           `json:"payMethod"` // 1: sender pays (monthly card)
	ParcelQty          int           `json:"parcelQty"`
	TotalWeight        float64       `json:"totalWeight"`           // kg
	TotalLength        float64       `json:"totalLength,omitempty"` // cm
	TotalWidth         float64       `json:"totalWidth,omitempty"`  // cm
	TotalHeight        float64       `json:"totalHeight,omitempty"` // cm
	Volume             float64       `json:"volume,omitempty"`      // cm³
	IsSignBack         int           `json:"isSignBack"`            // 1: return the signed receipt
	IsReturnRoutelabel int           `json:"isReturnRoutelabel"`    // 1: answer the routing label
	CargoDesc          string        `json:"cargoDesc,omitempty"`
	CargoDetails       []cargoDetail `json:"cargoDetails"`
	ContactInfoList    []contactInfo `json:"contactInfoList"`
	ServiceList        []service     `json:"serviceList,omitempty"` // INSURE, value in yuan
}

type waybillNoInfo struct {
	WaybillType int    `json:"waybillType"` // 1 main waybill
	WaybillNo   string `json:"waybillNo"`
}

type orderAnswer struct {
	OrderID           string          `json:"orderId"`
	WaybillNoInfoList []waybillNoInfo `json:"waybillNoInfoList"`
	FilterResult      int             `json:"filterResult"` // 1 manual check, 2 serviceable, 3 not serviceable
	Remark            string          `json:"remark"`
}

func (o orderAnswer) order(orderID string) (courier.Order, error) {
	if o.FilterResult == 3 {
		return courier.Order{}, &courier.APIError{Carrier: "sf", Code: "filterResult=3", Message: "address not serviceable: " + o.Remark}
	}
	for _, w := range o.WaybillNoInfoList {
		if w.WaybillType == 1 || len(o.WaybillNoInfoList) == 1 {
			return courier.Order{OrderID: orderID, Waybill: w.WaybillNo}, nil
		}
	}
	return courier.Order{}, errors.New("answer carries no waybill number")
}

// Create implements courier.Carrier. A create is sent once. After a timeout, a
// carrier-side failure or a duplicate-order answer the order is looked up by its order
// id, and the existing order is returned.
func (a *Adapter) Create(ctx context.Context, s courier.Shipment) (courier.Order, error) {
	if s.Product == "" {
		s.Product = a.cfg.DefaultProduct
	}
	if err := s.Validate(); err != nil {
		return courier.Order{}, fmt.Errorf("sf: create: %w", err)
	}
	req, err := a.createRequest(s)
	if err != nil {
		return courier.Order{}, fmt.Errorf("sf: create: %w", err)
	}
	var ans orderAnswer
	err = a.call(ctx, "create", ServiceCreateOrder, req, false, &ans)
	if err == nil {
		o, err := ans.order(s.OrderID)
		if err != nil {
			return courier.Order{}, fmt.Errorf("sf: create: %w", err)
		}
		return o, nil
	}
	if !errors.Is(err, courier.ErrTemporary) && !errors.Is(err, courier.ErrDuplicateOrder) {
		return courier.Order{}, fmt.Errorf("sf: create: %w", err)
	}
	o, lerr := a.Lookup(ctx, s.OrderID)
	switch {
	case lerr == nil:
		return o, nil
	case errors.Is(lerr, courier.ErrNotFound) && errors.Is(err, courier.ErrTemporary):
		// SF never saw it: the caller may create again with the same order id.
		return courier.Order{}, fmt.Errorf("sf: create: not at SF after failure: %w", err)
	}
	return courier.Order{}, fmt.Errorf("sf: create: %w (look-up: %v)", err, lerr)
}

func (a *Adapter) createRequest(s courier.Shipment) (createRequest, error) {
	product, err := strconv.Atoi(s.Product)
	if err != nil {
		return createRequest{}, fmt.Errorf("product %q is not an SF expressTypeId", s.Product)
	}
	kg := float64(s.WeightGrams) / 1000
	contents := s.Contents
	if contents == "" {
		contents = "文件"
	}
	req := createRequest{
		Language: "zh-CN", OrderID: s.OrderID, MonthlyCard: a.cfg.MonthlyCard,
		ExpressTypeID: product, PayMethod: 1, ParcelQty: 1, TotalWeight: kg,
		IsReturnRoutelabel: 1, CargoDesc: contents,
		CargoDetails:    []cargoDetail{{Name: contents, Count: 1, Unit: "件", Weight: kg}},
		ContactInfoList: []contactInfo{contact(1, s.Sender), contact(2, s.Recipient)},
	}
	if s.LengthMM > 0 && s.WidthMM > 0 && s.HeightMM > 0 {
		req.TotalLength, req.TotalWidth, req.TotalHeight = cm(s.LengthMM), cm(s.WidthMM), cm(s.HeightMM)
		req.Volume = req.TotalLength * req.TotalWidth * req.TotalHeight
	}
	if s.ReturnReceipt {
		req.IsSignBack = 1
	}
	if s.DeclaredValueFen > 0 {
		req.CargoDetails[0].Amount = yuan(s.DeclaredValueFen)
		req.CargoDetails[0].Currency = "CNY"
	}
	if s.Insured {
		req.ServiceList = append(req.ServiceList, service{Name: "INSURE", Value: strconv.FormatFloat(yuan(s.DeclaredValueFen), 'f', 2, 64)})
	}
	return req, nil
}

func contact(kind int, p courier.Party) contactInfo {
	c := contactInfo{ContactType: kind, Company: p.Company, Contact: p.Name,
		Province: p.Province, City: p.City, County: p.County, Address: p.Address}
	if isMobile(p.Phone) {
		c.Mobile = p.Phone
	} else {
		c.Tel = p.Phone
	}
	return c
}

func isMobile(s string) bool {
	if len(s) != 11 || s[0] != '1' {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func cm(mm int64) float64    { return float64(mm) / 10 }
func yuan(fen int64) float64 { return float64(fen) / 100 }

type searchOrderRequest struct {
	OrderID    string `json:"orderId"`
	SearchType string `json:"searchType"` // "1": by our order id
	Language   string `json:"language"`
}

// Lookup finds an order by our order id (EXP_RECE_SEARCH_ORDER_RESP). It is a read,
// retried on temporary failures; an unknown order is courier.ErrNotFound.
func (a *Adapter) Lookup(ctx context.Context, orderID string) (courier.Order, error) {
	var ans orderAnswer
	err := a.call(ctx, "look up order", ServiceSearchOrder,
		searchOrderRequest{OrderID: orderID, SearchType: "1", Language: "zh-CN"}, true, &ans)
	if err != nil {
		return courier.Order{}, err
	}
	o, err := ans.order(orderID)
	if err != nil {
		return courier.Order{}, fmt.Errorf("sf: look up order: %w", err)
	}
	return o, nil
}

type updateOrderRequest struct {
	OrderID           string          `json:"orderId"`
	DealType          int             `json:"dealType"` // 1 confirm, 2 cancel
	Language          string          `json:"language"`
	WaybillNoInfoList []waybillNoInfo `json:"waybillNoInfoList,omitempty"`
}

// alreadyCancelled are the business codes a cancel treats as done: 8037 is "order
// already cancelled"; 8003 and 8017 are what SF answers some accounts when the order
// no longer holds the waybill after a cancel (verify per account).
var alreadyCancelled = map[string]bool{
	ErrCodeAlreadyCancelled: true, ErrCodeTooManyNumbers: true, ErrCodeOrderMismatch: true,
}

// Cancel implements courier.Carrier with EXP_RECE_UPDATE_ORDER, dealType 2.
func (a *Adapter) Cancel(ctx context.Context, orderID, waybill string) error {
	req := updateOrderRequest{OrderID: orderID, DealType: 2, Language: "zh-CN"}
	if waybill != "" {
		req.WaybillNoInfoList = []waybillNoInfo{{WaybillType: 1, WaybillNo: waybill}}
	}
	err := a.call(ctx, "cancel", ServiceUpdateOrder, req, false, nil)
	var apiErr *courier.APIError
	if errors.As(err, &apiErr) && alreadyCancelled[apiErr.Code] {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sf: cancel: %w", err)
	}
	return nil
}
