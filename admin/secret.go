package admin

import (
	"fmt"
	"log/slog"
)

// Secret is a client secret or a token. It never prints: String, every
// fmt verb (%v, %+v, %#v, %s, %q, %x, %d…), slog and encoding/json all
// show "REDACTED". Convert it with string(s) to use it.
type Secret string

const redacted = "REDACTED"

// String returns "REDACTED".
func (Secret) String() string { return redacted }

// GoString returns "REDACTED", for %#v.
func (Secret) GoString() string { return redacted }

// Format writes "REDACTED" whatever the verb, so that no fmt verb prints
// the secret (fmt would print it for a verb that does not fit a string).
func (Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue returns "REDACTED", so that slog never shows the secret.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes "REDACTED", so that a configuration dumped as JSON
// shows no secret.
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// Credentials are those of a Remote Control API access (Settings >
// Feature Experimentation > Remote Control API in the platform). Printing
// them shows the ClientID and "REDACTED".
type Credentials struct {
	ClientID     string
	ClientSecret Secret
}
