package core

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/cloudp11/cloudp11/config"
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// slot is a logical slot of primus.cfg: one partition under one slot id,
// served by a cluster of members.
type slot struct {
	id          ck.SlotID
	userName    string
	clientID    string
	description string
	cluster     *cluster
	log         *logger

	identMu sync.Mutex
	ident   *tokenIdentity // guarded by identMu; nil until a member answered C_GetTokenInfo
}

// tokenIdentity is what identifies the token to applications. It is
// taken from the first member that answers and kept for the life of the
// library, so label and serial stay the same whichever member answers
// later: applications select tokens by them (PKCS#11 URIs, Java's
// configuration).
type tokenIdentity struct {
	label        [32]byte
	manufacturer [32]byte
	model        [16]byte
	serial       [16]byte
}

func slotDescription(ls config.LogicalSlot) string {
	var names []string
	for _, m := range ls.Members {
		names = append(names, m.HSM.Name)
	}
	return fmt.Sprintf("cloudp11 partition %s (%s)", ls.UserName, strings.Join(names, ", "))
}

func (l *Library) slot(fn string, id ck.SlotID) (*slot, error) {
	s := l.slots[id]
	if s == nil {
		return nil, errf(ck.CKR_SLOT_ID_INVALID, fn, "slot %d is not in %s", id, l.cfg.Path)
	}
	return s, nil
}

// SlotList is C_GetSlotList (§5.5): the slot ids of primus.cfg, in
// ascending order. Every slot has its token present: the token is the
// configured partition, and whether a member can serve it is answered per
// call (CKR_TOKEN_NOT_PRESENT when none can), because an application that
// lists slots once at start-up would otherwise lose a partition for its
// whole life over a network outage at that moment.
func (l *Library) SlotList(tokenPresent bool) (_ []ck.SlotID, err error) {
	defer func() { l.trace("C_GetSlotList", err) }()
	if err := l.enter("C_GetSlotList"); err != nil {
		return nil, err
	}
	return slices.Clone(l.slotIDs), nil
}

// SlotInfo is C_GetSlotInfo (§5.5). Flags: CKF_TOKEN_PRESENT (see
// SlotList), CKF_REMOVABLE_DEVICE (the token can become unreachable) and
// CKF_HW_SLOT (the keys are in a hardware device, not in this process).
func (l *Library) SlotInfo(id ck.SlotID) (_ ck.SlotInfo, err error) {
	defer func() { l.trace("C_GetSlotInfo", err) }()
	if err := l.enter("C_GetSlotInfo"); err != nil {
		return ck.SlotInfo{}, err
	}
	s, err := l.slot("C_GetSlotInfo", id)
	if err != nil {
		return ck.SlotInfo{}, err
	}
	return ck.SlotInfo{
		SlotDescription: s.description,
		ManufacturerID:  manufacturer,
		Flags:           ck.CKF_TOKEN_PRESENT | ck.CKF_REMOVABLE_DEVICE | ck.CKF_HW_SLOT,
		FirmwareVersion: libraryVersion(),
	}, nil
}

// withEpoch runs f on the slot's current binding, binding a member when
// there is none. When the binding ends under f (the member went away), f
// runs again on the next binding: the functions that use it have no
// session to lose.
func (s *slot) withEpoch(fn string, f func(e *epoch) error) error {
	for attempt := 0; ; attempt++ {
		e, err := s.cluster.epoch(s.cluster.lib.ctx, fn)
		if err != nil {
			return wrapOp(fn, err)
		}
		err = f(e)
		var gone *epochGoneError
		if !errors.As(err, &gone) {
			return err
		}
		if attempt == 2 {
			return &ck.Error{RV: ck.CKR_DEVICE_ERROR, Op: fn, Err: err}
		}
	}
}

// wrapOp names the function in an error that does not carry it.
func wrapOp(fn string, err error) error {
	var ckErr *ck.Error
	if errors.As(err, &ckErr) {
		return err
	}
	return &ck.Error{RV: ck.RVOf(err), Op: fn, Err: err}
}

// TokenInfo is C_GetTokenInfo (§5.5), from the partition's backend token
// through the bound member. Label, manufacturer, model and serial number
// are those of the first member that answered (tokenIdentity); the session
// counts are the library's own.
func (l *Library) TokenInfo(id ck.SlotID) (info ck.TokenInfo, err error) {
	const fn = "C_GetTokenInfo"
	defer func() { l.trace(fn, err) }()
	if err := l.enter(fn); err != nil {
		return ck.TokenInfo{}, err
	}
	s, err := l.slot(fn, id)
	if err != nil {
		return ck.TokenInfo{}, err
	}
	err = s.withEpoch(fn, func(e *epoch) error {
		ctx, cancel := e.callContext()
		defer cancel()
		resp, err := invoke[*transport.TokenInfoResponse](ctx, e, fn, &transport.GetTokenInfoRequest{})
		if err != nil {
			return err
		}
		info = resp.Info
		s.keepIdentity(e, &info)
		info.SessionCount = uint64(e.sessions.load())
		info.RwSessionCount = uint64(e.rwSessions.load())
		return nil
	})
	return info, err
}

// keepIdentity records the token's identity from its first answer and
// puts it in every later answer. A member whose token differs is a
// cluster serving two partitions under one slot id: that is logged.
func (s *slot) keepIdentity(e *epoch, info *ck.TokenInfo) {
	got := tokenIdentity{label: info.Label, manufacturer: info.ManufacturerID, model: info.Model, serial: info.SerialNumber}
	s.identMu.Lock()
	defer s.identMu.Unlock()
	if s.ident == nil {
		s.ident = &got
		return
	}
	if got != *s.ident {
		s.log.at(sevWarning, "C_GetTokenInfo").Uint64("slot", uint64(s.id)).Str("member", e.member.HSM.Name).
			Str("label", strings.TrimRight(string(got.label[:]), " ")).Str("serial", strings.TrimRight(string(got.serial[:]), " ")).
			Msg("the member serves a token with another label or serial than the slot's first member; applications see the first one's")
	}
	info.Label, info.ManufacturerID, info.Model, info.SerialNumber = s.ident.label, s.ident.manufacturer, s.ident.model, s.ident.serial
}

// MechanismList is C_GetMechanismList (§5.5): the token's mechanisms that
// this protocol can carry (docs/protocol.md 2.3: a mechanism whose
// parameter cannot cross the wire is not advertised).
func (l *Library) MechanismList(id ck.SlotID) (list []ck.MechanismType, err error) {
	const fn = "C_GetMechanismList"
	defer func() { l.trace(fn, err) }()
	if err := l.enter(fn); err != nil {
		return nil, err
	}
	s, err := l.slot(fn, id)
	if err != nil {
		return nil, err
	}
	err = s.withEpoch(fn, func(e *epoch) error {
		all, err := e.mechanismList(fn)
		if err != nil {
			return err
		}
		list = make([]ck.MechanismType, 0, len(all))
		for _, m := range all {
			if carried(m) {
				list = append(list, m)
			}
		}
		return nil
	})
	return list, err
}

// MechanismInfo is C_GetMechanismInfo (§5.5). A mechanism the protocol
// cannot carry is CKR_MECHANISM_INVALID, as if the token lacked it.
func (l *Library) MechanismInfo(id ck.SlotID, m ck.MechanismType) (info ck.MechanismInfo, err error) {
	const fn = "C_GetMechanismInfo"
	defer func() { l.trace(fn, err) }()
	if err := l.enter(fn); err != nil {
		return ck.MechanismInfo{}, err
	}
	s, err := l.slot(fn, id)
	if err != nil {
		return ck.MechanismInfo{}, err
	}
	if !carried(m) {
		return ck.MechanismInfo{}, errf(ck.CKR_MECHANISM_INVALID, fn, "%s has a parameter the protocol cannot carry", m)
	}
	err = s.withEpoch(fn, func(e *epoch) error {
		var err error
		info, err = e.mechanismInfo(fn, m)
		return err
	})
	return info, err
}

// mechanismList is the token's mechanism list, fetched once per binding.
func (e *epoch) mechanismList(fn string) ([]ck.MechanismType, error) {
	e.mechMu.Lock()
	defer e.mechMu.Unlock()
	if e.mechs != nil {
		return e.mechs, nil
	}
	ctx, cancel := e.callContext()
	defer cancel()
	resp, err := invoke[*transport.MechanismListResponse](ctx, e, fn, &transport.GetMechanismListRequest{})
	if err != nil {
		return nil, err
	}
	e.mechs = slices.Clone(resp.Mechanisms)
	if e.mechs == nil {
		e.mechs = []ck.MechanismType{}
	}
	return e.mechs, nil
}

// mechanismInfo is the token's C_GetMechanismInfo answer for m, fetched
// once per binding; CKR_MECHANISM_INVALID is remembered too.
func (e *epoch) mechanismInfo(fn string, m ck.MechanismType) (ck.MechanismInfo, error) {
	e.mechMu.Lock()
	defer e.mechMu.Unlock()
	if a, ok := e.mechInfo[m]; ok {
		return a.info, a.rv.Err(fn)
	}
	ctx, cancel := e.callContext()
	defer cancel()
	resp, err := invoke[*transport.MechanismInfoResponse](ctx, e, fn, &transport.GetMechanismInfoRequest{Mechanism: m})
	if resp == nil {
		return ck.MechanismInfo{}, err
	}
	// Only answers worth keeping, and not without bound: an application
	// that asks about every number must not grow the cache for ever.
	if (resp.RV == ck.CKR_OK || resp.RV == ck.CKR_MECHANISM_INVALID) && len(e.mechInfo) < maxMechanismAnswers {
		if e.mechInfo == nil {
			e.mechInfo = make(map[ck.MechanismType]mechanismAnswer)
		}
		e.mechInfo[m] = mechanismAnswer{info: resp.Info, rv: resp.RV}
	}
	return resp.Info, err
}

// maxMechanismAnswers bounds the C_GetMechanismInfo answers kept per
// binding; tokens have a few hundred mechanisms at most.
const maxMechanismAnswers = 1024
