package fsopenfeature

import "errors"

var (
	// ErrShutdown is the cause of what a [Provider] answers after
	// Shutdown: Init fails with it (as a fatal error) and evaluations
	// serve their default with error code GENERAL.
	ErrShutdown = errors.New("fsopenfeature: provider shut down")
	// ErrNoClient reports a [Provider] made by [New] with a nil client:
	// Init fails with it (as a fatal error) and evaluations serve their
	// default with error code GENERAL.
	ErrNoClient = errors.New("fsopenfeature: no flagship client")
)
