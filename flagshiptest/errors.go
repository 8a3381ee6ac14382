package flagshiptest

import "errors"

// ErrInvalidOptions is wrapped by the errors of [NewHandler] and of the
// Handler methods that change what it serves or how it fails: an empty
// environment id, conflicting options, campaigns that can't be encoded, an
// impossible [Fault]. A bucketing file Flagship would reject also wraps
// bucketing.ErrInvalidFile.
var ErrInvalidOptions = errors.New("flagshiptest: invalid options")
