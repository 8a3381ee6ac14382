module github.com/seed27eed597/flagship-go/conformance/gosdkv2

go 1.24

replace github.com/seed27eed597/flagship-go => ../..

require (
	github.com/flagship-io/flagship-go-sdk/v2 v2.1.1
	github.com/seed27eed597/flagship-go v0.0.0-00010101000000-000000000000
)

require (
	git.mills.io/prologic/bitcask v1.0.2 // indirect
	github.com/abcum/lcp v0.0.0-20201209214815-7a3f3840be81 // indirect
	github.com/cespare/xxhash v1.1.0 // indirect
	github.com/dgryski/go-rendezvous v0.0.0-20200609043717-5ab96a526299 // indirect
	github.com/flagship-io/flagship-common v0.0.18-beta.1 // indirect
	github.com/flagship-io/flagship-proto v0.0.15 // indirect
	github.com/go-redis/redis/v8 v8.0.0-beta.5 // indirect
	github.com/gofrs/flock v0.8.0 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/plar/go-adaptive-radix-tree v1.0.4 // indirect
	github.com/sirupsen/logrus v1.8.1 // indirect
	github.com/spaolacci/murmur3 v1.1.0 // indirect
	go.etcd.io/bbolt v1.4.3 // indirect
	go.opentelemetry.io/otel v0.6.0 // indirect
	golang.org/x/exp v0.0.0-20200228211341-fcea875c7e85 // indirect
	golang.org/x/sys v0.29.0 // indirect
	google.golang.org/grpc v1.38.0 // indirect
	google.golang.org/protobuf v1.27.1 // indirect
)
