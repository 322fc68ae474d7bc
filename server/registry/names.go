package registry

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"
)

// Limits of names and labels. A user name becomes a file name in the audit
// folder, so its alphabet is small and it cannot start with a dot or a dash.
const (
	MaxNameLen       = 64
	MaxTokenLabelLen = 32 // the size of CK_TOKEN_INFO.label
	SecretIDLen      = 16 // hex digits
)

// ValidateUserName checks a user name: 1 to 64 bytes of [A-Za-z0-9._-],
// starting with a letter or digit.
func ValidateUserName(name string) error {
	if name == "" {
		return errors.New("user name is empty")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("user name is %d bytes long, the limit is %d", len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return fmt.Errorf("user name %q: character %d may not be %q (allowed: letters, digits, and '.', '_', '-' after the first)", name, i+1, c)
		}
	}
	return nil
}

// ValidateTokenLabel checks a backend token label: 1 to 32 bytes of UTF-8
// without control characters, and no leading or trailing space (PKCS#11
// pads labels with spaces, so those would be ambiguous).
func ValidateTokenLabel(label string) error {
	if label == "" {
		return errors.New("token label is empty")
	}
	if len(label) > MaxTokenLabelLen {
		return fmt.Errorf("token label is %d bytes long, PKCS#11 labels hold %d", len(label), MaxTokenLabelLen)
	}
	if !utf8.ValidString(label) {
		return errors.New("token label is not valid UTF-8")
	}
	for _, r := range label {
		if unicode.IsControl(r) {
			return fmt.Errorf("token label %q contains a control character", label)
		}
	}
	if label[0] == ' ' || label[len(label)-1] == ' ' {
		return fmt.Errorf("token label %q starts or ends with a space", label)
	}
	return nil
}

// ValidateSecretID checks a permanent secret id: 16 lower-case hex digits.
func ValidateSecretID(id string) error {
	if len(id) != SecretIDLen {
		return fmt.Errorf("secret id %q: want %d hex digits", id, SecretIDLen)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("secret id %q: want %d lower-case hex digits", id, SecretIDLen)
		}
	}
	return nil
}
