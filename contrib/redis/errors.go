package fsredis

import "errors"

// ErrInvalidOptions is wrapped by [New] when its arguments or options are
// invalid: a nil client, an empty environment id, a TTL under a
// millisecond.
var ErrInvalidOptions = errors.New("fsredis: invalid options")
