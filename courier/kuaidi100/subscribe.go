package kuaidi100

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/tongban/tongban/courier"
)

type subscribeParam struct {
	Company    string              `json:"company"`
	Number     string              `json:"number"`
	Key        string              `json:"key"`
	Parameters subscribeParameters `json:"parameters"`
}

type subscribeParameters struct {
	CallbackURL string `json:"callbackurl"`
	Salt        string `json:"salt"`
	Phone       string `json:"phone,omitempty"`
	ResultV2    string `json:"resultv2"`
}

// Subscribe asks kuaidi100 to push the parcel's tracking to Config.CallbackURL.
// Subscribing twice is harmless (kuaidi100 answers 501, taken as success), so unlike
// a create it is retried like a read. Call it again when a push says Resubscribe.
func (a *Adapter) Subscribe(ctx context.Context, p Parcel) error {
	if a.cfg.CallbackURL == "" {
		return errors.New("kuaidi100: subscribe: Config.CallbackURL is empty")
	}
	param, err := json.Marshal(subscribeParam{Company: p.Company, Number: p.Number, Key: a.cfg.Key.Reveal(),
		Parameters: subscribeParameters{CallbackURL: a.cfg.CallbackURL, Salt: a.cfg.Salt.Reveal(),
			Phone: p.Phone, ResultV2: a.cfg.ResultV2}})
	if err != nil {
		return fmt.Errorf("kuaidi100: subscribe: %w", err)
	}
	return a.client.Do(ctx, courier.Call{
		Op: "subscribe", Path: "/poll", Read: true,
		Form: func() (url.Values, error) {
			return url.Values{"schema": {"json"}, "param": {string(param)}}, nil
		},
		Decode: func(body []byte) error {
			var f failure
			if err := json.Unmarshal(body, &f); err != nil {
				return fmt.Errorf("%w: unreadable answer: %v", courier.ErrTemporary, err)
			}
			switch code := string(f.ReturnCode); {
			case code == CodeOK || code == CodeDuplicate:
				return nil
			case code == CodeBusy || code == "500":
				return &courier.APIError{Carrier: "kuaidi100", Code: code, Message: f.Message, Kind: courier.ErrTemporary}
			default:
				return &courier.APIError{Carrier: "kuaidi100", Code: code, Message: f.Message}
			}
		},
	})
}
