package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/sf"
	"github.com/tongban/tongban/handoff"
)

// hallCourier builds the hall's carrier from the environment (TONGBAN_COURIER_*,
// TONGBAN_SF_*, TONGBAN_EMS_*, TONGBAN_KUAIDI100_*). A hall with no carrier endpoint
// configured still works: clerks type the waybill and record the parcel's progress.
func hallCourier(log *slog.Logger) (*handoff.CourierSetup, error) {
	setup, err := handoff.CourierSetupFromEnv()
	if err != nil {
		return nil, fmt.Errorf("courier: %w", err)
	}
	if setup == nil {
		log.Info("no courier endpoint configured (TONGBAN_SF_BASE_URL): waybills are typed by the window")
	}
	return setup, nil
}

// demoCourier points a demo hall at the courier simulator's SF gateway with the
// hall's own simulated account, whose route pushes come back to the hall.
func demoCourier(simURL, hallURL, code string) (*handoff.CourierSetup, error) {
	cfg := courier.DefaultConfig()
	cfg.CallbackBaseURL = hallURL
	// Simulated time runs an hour a second, so parcels stall for minutes, not days.
	cfg.StaleAfter, cfg.LostAfter = 10*time.Minute, time.Hour
	acc := demoSFAccount(code)
	return handoff.NewCourierSetup(cfg, handoff.CourierAccounts{SF: &sf.Config{PartnerID: acc.PartnerID, CheckWord: acc.CheckWord,
		MonthlyCard: acc.MonthlyCard, Client: courier.ClientConfig{BaseURL: simURL + "/sf"}}})
}
