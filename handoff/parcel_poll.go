package handoff

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/robfig/cron/v3"

	"github.com/tongban/tongban/courier"
	"github.com/tongban/tongban/courier/kuaidi100"
)

// pollBatch bounds the parcels one poll asks about.
const pollBatch = 200

// runPoller is the backstop for lost pushes: a cron job that asks the carrier about
// parcels with no progress for StaleAfter, subscribes kuaidi100 again where it gave
// up, and opens a lost incident for parcels silent for LostAfter. Recover keeps a
// panicking poll from killing the hall; SkipIfStillRunning drops a tick while a slow
// carrier holds the last poll; an advisory lock keeps it to one replica.
func (p *Parcels) runPoller(ctx context.Context) error {
	every := p.current().Config.PollInterval
	if every <= 0 {
		every = time.Minute
	}
	logger := parcelCronLogger{p.log}
	c := cron.New(cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)))
	c.Schedule(cron.Every(every), cron.FuncJob(func() { p.pollLocked(ctx) }))
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}

func (p *Parcels) pollLocked(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	conn, err := p.n.opt.DB.Acquire(ctx)
	if err != nil {
		return
	}
	defer conn.Release()
	var locked bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, pollLockKey).Scan(&locked); err != nil || !locked {
		return
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, pollLockKey); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if err := p.PollOnce(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("courier poll failed", slog.String("err", err.Error()))
	}
}

// PollOnce runs one round of the backstop. Tests call it directly.
func (p *Parcels) PollOnce(ctx context.Context) error {
	s := p.current()
	now := p.n.now()
	stale, err := courier.StaleParcels(ctx, p.n.opt.DB, now, s.Config.StaleAfter, pollBatch)
	if err != nil {
		return err
	}
	byCarrier := map[string][]courier.Parcel{}
	for _, parcel := range stale {
		byCarrier[parcel.Carrier] = append(byCarrier[parcel.Carrier], parcel)
	}
	var firstErr error
	for carrier, parcels := range byCarrier {
		if err := p.track(ctx, s, carrier, parcels, now); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	if s.Kuaidi100 != nil {
		again, err := courier.Resubscriptions(ctx, p.n.opt.DB, pollBatch)
		if err != nil {
			return err
		}
		for _, parcel := range again {
			p.subscribe(ctx, s, parcel)
		}
	}
	if err := p.markLost(ctx, s, now); err != nil && firstErr == nil {
		firstErr = err
	}
	return firstErr
}

// track asks the carrier (or kuaidi100, which follows corrected carrier codes) about
// parcels and ingests what it says like a push.
func (p *Parcels) track(ctx context.Context, s *CourierSetup, carrier string, parcels []courier.Parcel, now time.Time) error {
	var evs []courier.Event
	var err error
	if tr := s.Trackers[carrier]; tr != nil {
		wbs := make([]string, len(parcels))
		for i, parcel := range parcels {
			wbs[i] = parcel.Waybill
		}
		evs, err = tr.Track(ctx, wbs)
	} else if s.Kuaidi100 != nil {
		for _, parcel := range parcels {
			company := parcel.TrackCompany
			if company == "" {
				company = s.Kuaidi100.Company(parcel.Waybill)
			}
			got, qerr := s.Kuaidi100.Query(ctx, kuaidi100.Parcel{Company: company, Number: parcel.Waybill})
			if qerr != nil {
				err = qerr
				break
			}
			evs = append(evs, got...)
		}
	} else {
		return nil // nobody to ask: a typed waybill of a carrier we have no account with
	}
	if err != nil {
		return err
	}
	if len(evs) > 0 {
		if _, err := p.ingest.IngestBatch(ctx, []courier.Callback{{Carrier: carrier, Source: "poll", Verified: true, Events: evs}}); err != nil {
			return err
		}
		wake(p.wakeMoves)
	}
	ids := make([]uuid.UUID, len(parcels))
	for i, parcel := range parcels {
		ids[i] = parcel.ID
	}
	return courier.MarkPolled(ctx, p.n.opt.DB, ids, now)
}

// markLost opens a lost incident for parcels silent for LostAfter, polls included.
func (p *Parcels) markLost(ctx context.Context, s *CourierSetup, now time.Time) error {
	lost, err := courier.LostParcels(ctx, p.n.opt.DB, now, s.Config.LostAfter, pollBatch)
	if err != nil {
		return err
	}
	for _, parcel := range lost {
		err := pgx.BeginFunc(ctx, p.n.opt.DB, func(tx pgx.Tx) error {
			return p.raiseIncident(ctx, tx, parcel, courier.IncidentLost, map[string]any{"waybill": parcel.Waybill,
				"status": parcel.Status, "silent_since": parcel.ProgressAt}, now)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// parcelCronLogger sends robfig/cron's messages to slog.
type parcelCronLogger struct{ log *slog.Logger }

func (l parcelCronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }

func (l parcelCronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append([]any{slog.String("err", err.Error())}, kv...)...)
}
