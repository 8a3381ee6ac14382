package fsotel

import "errors"

// ErrInvalidOptions is wrapped by the error of [New] for invalid
// [Options]; the message names each problem.
var ErrInvalidOptions = errors.New("fsotel: invalid options")
