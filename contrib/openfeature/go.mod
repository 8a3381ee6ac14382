module github.com/seed27eed597/flagship-go/contrib/openfeature

// OpenFeature's Go SDK v1.20.0 needs Go 1.26.
go 1.26.0

replace github.com/seed27eed597/flagship-go => ../..

require (
	github.com/open-feature/go-sdk v1.20.0
	github.com/seed27eed597/flagship-go v0.0.0
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
)

require (
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	go.uber.org/mock v0.6.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.29.0 // indirect
)
