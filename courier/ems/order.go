package ems

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/tongban/tongban/courier"
)

type party struct {
	Name     string `json:"name"`
	Company  string `json:"company,omitempty"`
	Mobile   string `json:"mobile,omitempty"`
	Phone    string `json:"phone,omitempty"`
	Prov     string `json:"prov,omitempty"`
	City     string `json:"city,omitempty"`
	County   string `json:"county,omitempty"`
	Address  string `json:"address"`
	AreaCode string `json:"areaCode"` // six-digit division code
}

type cargo struct {
	CargoName     string `json:"cargoName"`
	CargoQuantity int    `json:"cargoQuantity"`
}

type createBiz struct {
	LogisticsOrderNo string  `json:"logisticsOrderNo"`
	SenderNo         string  `json:"senderNo"`
	BizProductNo     string  `json:"bizProductNo"`
	CreatedTime      string  `json:"createdTime"`
	Weight           int64   `json:"weight"`           // grams
	Length           int64   `json:"length,omitempty"` // mm
	Width            int64   `json:"width,omitempty"`  // mm
	Height           int64   `json:"height,omitempty"` // mm
	ContentsAttr     string  `json:"contentsAttribute"`
	InsuranceFlag    string  `json:"insuranceFlag"`             // "1" no insurance, "2" insured
	InsuranceAmount  int64   `json:"insuranceAmount,omitempty"` // fen
	DeclaredValue    int64   `json:"declaredValue,omitempty"`   // fen
	ReceiptFlag      string  `json:"receiptFlag"`               // "1" none, "5" return the signed receipt
	Sender           party   `json:"sender"`
	Receiver         party   `json:"receiver"`
	Cargos           []cargo `json:"cargos"`
}

type createAnswer struct {
	Answer
	LogisticsOrderNo string `json:"logisticsOrderNo"`
	MailNo           string `json:"mailNo"`
	PostageTotal     int64  `json:"postageTotal"` // fen, when the account quotes
}

// Create implements courier.Carrier. The create is sent once. EMS's gateway offers
// no order look-up among the methods we hold; the create is idempotent on
// logisticsOrderNo and a duplicate answer carries the existing mailNo. So after a
// timeout the adapter sends the same create once more as its look-up, and after a
// duplicate answer it returns the order that answer names.
func (a *Adapter) Create(ctx context.Context, s courier.Shipment) (courier.Order, error) {
	if s.Product == "" {
		s.Product = a.cfg.DefaultProduct
	}
	if err := s.Validate(); err != nil {
		return courier.Order{}, fmt.Errorf("ems: create: %w", err)
	}
	biz := a.createBiz(s)
	o, err := a.create(ctx, "create", biz)
	if errors.Is(err, courier.ErrTemporary) && ctx.Err() == nil {
		var lerr error
		if o, lerr = a.create(ctx, "create look-up", biz); lerr != nil {
			return courier.Order{}, fmt.Errorf("ems: create: %w (look-up: %v)", err, lerr)
		}
		return o, nil
	}
	if err != nil {
		return courier.Order{}, fmt.Errorf("ems: create: %w", err)
	}
	return o, nil
}

func (a *Adapter) create(ctx context.Context, op string, biz createBiz) (courier.Order, error) {
	var ans createAnswer
	err := a.call(ctx, op, MethodCreate, biz, false, &ans)
	if err != nil && !(errors.Is(err, courier.ErrDuplicateOrder) && ans.MailNo != "") {
		return courier.Order{}, err
	}
	if ans.MailNo == "" {
		return courier.Order{}, errors.New("answer carries no mailNo")
	}
	return courier.Order{OrderID: biz.LogisticsOrderNo, Waybill: ans.MailNo, QuotedFeeFen: ans.PostageTotal}, nil
}

func (a *Adapter) createBiz(s courier.Shipment) createBiz {
	b := createBiz{
		LogisticsOrderNo: s.OrderID, SenderNo: a.cfg.SenderNo, BizProductNo: s.Product,
		CreatedTime: courier.FormatLocalTime(a.now()), Weight: s.WeightGrams,
		Length: s.LengthMM, Width: s.WidthMM, Height: s.HeightMM,
		ContentsAttr: "3", InsuranceFlag: "1", ReceiptFlag: "1",
		DeclaredValue: s.DeclaredValueFen,
		Sender:        toParty(s.Sender), Receiver: toParty(s.Recipient),
		Cargos: []cargo{{CargoName: s.Contents, CargoQuantity: 1}},
	}
	if b.Cargos[0].CargoName == "" {
		b.Cargos[0].CargoName = "文件"
	}
	if s.Insured {
		b.InsuranceFlag, b.InsuranceAmount = "2", s.DeclaredValueFen
	}
	if s.ReturnReceipt {
		b.ReceiptFlag = "5"
	}
	return b
}

func toParty(p courier.Party) party {
	q := party{Name: p.Name, Company: p.Company, Prov: p.Province, City: p.City, County: p.County,
		Address: p.Address, AreaCode: p.DivisionCode}
	if _, err := strconv.ParseUint(p.Phone, 10, 64); err == nil && len(p.Phone) == 11 && p.Phone[0] == '1' {
		q.Mobile = p.Phone
	} else {
		q.Phone = p.Phone
	}
	return q
}

type cancelBiz struct {
	LogisticsOrderNo string `json:"logisticsOrderNo"`
	MailNo           string `json:"mailNo,omitempty"`
	CancelReason     string `json:"cancelReason"`
}

// Cancel implements courier.Carrier. An order already cancelled counts as cancelled.
func (a *Adapter) Cancel(ctx context.Context, orderID, waybill string) error {
	var ans Answer
	err := a.call(ctx, "cancel", MethodCancel, cancelBiz{LogisticsOrderNo: orderID, MailNo: waybill, CancelReason: "寄件方取消"}, false, &ans)
	var apiErr *courier.APIError
	if errors.As(err, &apiErr) && apiErr.Code == CodeAlreadyCancelled {
		return nil
	}
	if err != nil {
		return fmt.Errorf("ems: cancel: %w", err)
	}
	return nil
}
