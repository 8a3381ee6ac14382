package httpsink

import (
	"github.com/seed27eed597/flagship-go/eventqueue"
	"github.com/seed27eed597/flagship-go/hits"
)

var _ eventqueue.RecordSizer = (*Sink)(nil)

// RecordSize returns the size of the request body that carries r alone,
// with its queue time at its widest ([hits.Record.WireSize]): the queue
// refuses r at Enqueue when it is over [Sink.MaxRecordSize], since no
// body could carry it. It is safe for concurrent use.
func (s *Sink) RecordSize(r hits.Record) int { return r.WireSize() }

// MaxRecordSize returns Options.MaxBodyBytes (DefaultMaxBodyBytes by
// default): the largest body the Sink sends.
func (s *Sink) MaxRecordSize() int { return s.maxBody }
