package transport

import "fmt"

// Secret holds a password, PIN or permanent secret. It prints as
// "<redacted>" with every fmt verb (%v, %+v, %#v, %s, %x, %q...) and in JSON,
// so a message struct that holds one can be logged whole without leaking it.
type Secret []byte

const redacted = "<redacted>"

// String never returns the secret.
func (Secret) String() string { return redacted }

// GoString never returns the secret.
func (Secret) GoString() string { return redacted }

// Format writes "<redacted>" for every verb, %x and %d included.
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON writes "<redacted>", for zerolog's Interface and friends.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText writes "<redacted>".
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// Reveal returns the secret's bytes, for the one place that needs them
// (a comparison, the backend call). Its name makes that place easy to find.
func (s Secret) Reveal() []byte { return s }
