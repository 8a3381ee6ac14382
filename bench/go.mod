module github.com/seed27eed597/flagship-go/bench

go 1.24

replace github.com/seed27eed597/flagship-go => ../

require (
	github.com/flagship-io/flagship-common v0.0.21
	github.com/flagship-io/flagship-proto v0.0.23
	github.com/seed27eed597/flagship-go v0.0.0-00010101000000-000000000000
	github.com/spaolacci/murmur3 v1.1.0
	github.com/stretchr/testify v1.10.0
	google.golang.org/protobuf v1.36.6
)

require (
	github.com/cenkalti/backoff/v4 v4.3.0 // indirect
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
	github.com/sirupsen/logrus v1.8.1 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	golang.org/x/mod v0.21.0 // indirect
	golang.org/x/sys v0.29.0 // indirect
	gopkg.in/yaml.v3 v3.0.1 // indirect
)
