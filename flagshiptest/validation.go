package flagshiptest

import "fmt"

// Validation is how strictly the handler checks the hits it receives
// (see "Validation" in the package documentation for the rules of each
// level). The zero value is [Strict].
type Validation int

const (
	// Strict checks hits against what this SDK must send: every field of
	// spec §7 with its type and its rule, nothing else, no null but cuid.
	// It is the default of [NewHandler] and [NewServer].
	Strict Validation = iota
	// Compatible takes what Flagship's collector takes from Flagship's
	// own SDKs (spec §12): it refuses only what the collector could never
	// take, and records the rest as received. It is the default of
	// "flagship serve".
	Compatible
)

// String returns "strict" or "compatible".
func (v Validation) String() string {
	switch v {
	case Strict:
		return "strict"
	case Compatible:
		return "compatible"
	}
	return fmt.Sprintf("Validation(%d)", int(v))
}

// WithValidation sets how strictly the handler checks hits: [Strict]
// (the default) or [Compatible]. An unknown level is taken as Strict.
// Activations, context events, usage and troubleshooting hits are
// checked alike at both levels, but for the unknown fields of a context
// event, which Strict refuses.
func WithValidation(v Validation) HandlerOption {
	return optionFunc(func(c *handlerConfig) {
		if v != Compatible {
			v = Strict
		}
		c.validation = v
	})
}

// Validation returns the handler's validation level.
func (h *Handler) Validation() Validation { return h.validation }
