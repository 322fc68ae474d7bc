package core

import (
	"github.com/cloudp11/cloudp11/transport"
	"github.com/cloudp11/cloudp11/transport/ck"
)

// Object-creating requests (key generation, unwrap, derive) are never
// sent twice by core: a connection lost with one in flight answers
// CKR_DEVICE_ERROR, so a retried generation cannot make two keys behind
// the application's back (docs/protocol.md 8.3).

// GenerateKey is C_GenerateKey (§5.14).
func (l *Library) GenerateKey(h ck.SessionHandle, m ck.Mechanism, t []ck.Attribute) (out ck.ObjectHandle, err error) {
	const fn = "C_GenerateKey"
	err = l.withSession(fn, h, func(s *session) error {
		if err := checkMechanism(fn, m); err != nil {
			return err
		}
		if err := checkTemplate(fn, t); err != nil {
			return err
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		resp, err := invoke[*transport.ObjectResponse](ctx, s.epoch, fn,
			&transport.GenerateKeyRequest{Session: s.remote, Mechanism: m, Template: t})
		if err != nil {
			return err
		}
		out = l.objects.intern(s.epoch, resp.Object, ownerOf(s, t)).handle
		return nil
	})
	return out, err
}

// GenerateKeyPair is C_GenerateKeyPair (§5.14).
func (l *Library) GenerateKeyPair(h ck.SessionHandle, m ck.Mechanism, pub, priv []ck.Attribute) (pubH, privH ck.ObjectHandle, err error) {
	const fn = "C_GenerateKeyPair"
	err = l.withSession(fn, h, func(s *session) error {
		if err := checkMechanism(fn, m); err != nil {
			return err
		}
		if err := checkTemplate(fn, pub); err != nil {
			return err
		}
		if err := checkTemplate(fn, priv); err != nil {
			return err
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		resp, err := invoke[*transport.KeyPairResponse](ctx, s.epoch, fn,
			&transport.GenerateKeyPairRequest{Session: s.remote, Mechanism: m, PublicTemplate: pub, PrivateTemplate: priv})
		if err != nil {
			return err
		}
		pubH = l.objects.intern(s.epoch, resp.PublicKey, ownerOf(s, pub)).handle
		privH = l.objects.intern(s.epoch, resp.PrivateKey, ownerOf(s, priv)).handle
		return nil
	})
	return pubH, privH, err
}

// WrapKey is C_WrapKey (§5.14) with the output convention: a size query
// wraps and keeps the result for the same call (a random IV is not drawn
// twice).
func (l *Library) WrapKey(h ck.SessionHandle, m ck.Mechanism, wrapping, key ck.ObjectHandle, out Output) (res []byte, n uint64, err error) {
	const fn = "C_WrapKey"
	err = l.withSession(fn, h, func(s *session) error {
		if err := checkMechanism(fn, m); err != nil {
			return err
		}
		wk, err := l.object(fn, s, wrapping, ck.CKR_WRAPPING_KEY_HANDLE_INVALID)
		if err != nil {
			return err
		}
		k, err := l.object(fn, s, key, ck.CKR_KEY_HANDLE_INVALID)
		if err != nil {
			return err
		}
		req := &transport.WrapKeyRequest{Session: s.remote, Mechanism: m, WrappingKey: wk.remote, Key: k.remote}
		// The request's encoding identifies the call for the size query.
		identity, err := transport.AppendBody(nil, req)
		if err != nil {
			return &ck.Error{RV: ck.RVOf(err), Op: fn, Err: err}
		}
		res, n, err = s.outputOnce(fn, identity, out, func() ([]byte, error) {
			ctx, cancel := s.epoch.callContext()
			defer cancel()
			resp, err := invoke[*transport.OutputResponse](ctx, s.epoch, fn, req)
			if err != nil {
				return nil, err
			}
			return resp.Out.Data, nil
		})
		return err
	})
	return res, n, err
}

// UnwrapKey is C_UnwrapKey (§5.14).
func (l *Library) UnwrapKey(h ck.SessionHandle, m ck.Mechanism, unwrapping ck.ObjectHandle, wrapped []byte, t []ck.Attribute) (out ck.ObjectHandle, err error) {
	const fn = "C_UnwrapKey"
	err = l.withSession(fn, h, func(s *session) error {
		if err := checkMechanism(fn, m); err != nil {
			return err
		}
		uk, err := l.object(fn, s, unwrapping, ck.CKR_UNWRAPPING_KEY_HANDLE_INVALID)
		if err != nil {
			return err
		}
		if err := checkTemplate(fn, t); err != nil {
			return err
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		resp, err := invoke[*transport.ObjectResponse](ctx, s.epoch, fn,
			&transport.UnwrapKeyRequest{Session: s.remote, Mechanism: m, UnwrappingKey: uk.remote, Wrapped: wrapped, Template: t})
		if err != nil {
			return err
		}
		out = l.objects.intern(s.epoch, resp.Object, ownerOf(s, t)).handle
		return nil
	})
	return out, err
}

// DeriveKey is C_DeriveKey (§5.14). CKM_CONCATENATE_BASE_AND_KEY's
// parameter is a key handle: it is translated to the server's like the
// base key.
func (l *Library) DeriveKey(h ck.SessionHandle, m ck.Mechanism, base ck.ObjectHandle, t []ck.Attribute) (out ck.ObjectHandle, err error) {
	const fn = "C_DeriveKey"
	err = l.withSession(fn, h, func(s *session) error {
		if err := checkMechanism(fn, m); err != nil {
			return err
		}
		bk, err := l.object(fn, s, base, ck.CKR_KEY_HANDLE_INVALID)
		if err != nil {
			return err
		}
		if m.Type == ck.CKM_CONCATENATE_BASE_AND_KEY {
			p, ok := m.Param.(ck.ULONGParam)
			if !ok {
				return rvErr(ck.CKR_MECHANISM_PARAM_INVALID, fn)
			}
			other, err := l.object(fn, s, ck.ObjectHandle(p), ck.CKR_KEY_HANDLE_INVALID)
			if err != nil {
				return err
			}
			m.Param = ck.ULONGParam(other.remote)
		}
		if err := checkTemplate(fn, t); err != nil {
			return err
		}
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		resp, err := invoke[*transport.ObjectResponse](ctx, s.epoch, fn,
			&transport.DeriveKeyRequest{Session: s.remote, Mechanism: m, BaseKey: bk.remote, Template: t})
		if err != nil {
			return keyHandleError(fn, err)
		}
		out = l.objects.intern(s.epoch, resp.Object, ownerOf(s, t)).handle
		return nil
	})
	return out, err
}

// SeedRandom is C_SeedRandom (§5.15).
func (l *Library) SeedRandom(h ck.SessionHandle, seed []byte) error {
	const fn = "C_SeedRandom"
	return l.withSession(fn, h, func(s *session) error {
		ctx, cancel := s.epoch.callContext()
		defer cancel()
		_, err := invoke[*transport.StatusResponse](ctx, s.epoch, fn, &transport.SeedRandomRequest{Session: s.remote, Seed: seed})
		return err
	})
}

// GenerateRandom is C_GenerateRandom (§5.15). Requests longer than a
// frame carries are split (docs/protocol.md 5.9).
func (l *Library) GenerateRandom(h ck.SessionHandle, n int) (out []byte, err error) {
	const fn = "C_GenerateRandom"
	err = l.withSession(fn, h, func(s *session) error {
		if n < 0 {
			return rvErr(ck.CKR_ARGUMENTS_BAD, fn)
		}
		limit := chunkLimit(s.epoch)
		out = make([]byte, 0, n)
		for len(out) < n || n == 0 {
			want := min(n-len(out), limit)
			ctx, cancel := s.epoch.callContext()
			resp, err := invoke[*transport.RandomResponse](ctx, s.epoch, fn, &transport.GenerateRandomRequest{Session: s.remote, Length: uint32(want)})
			cancel()
			if err != nil {
				return err
			}
			if len(resp.Data) != want {
				return errf(ck.CKR_DEVICE_ERROR, fn, "the server sent %d random bytes for %d", len(resp.Data), want)
			}
			out = append(out, resp.Data...)
			if n == 0 {
				break
			}
		}
		return nil
	})
	return out, err
}
