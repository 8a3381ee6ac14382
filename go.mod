module github.com/seed27eed597/flagship-go

go 1.24

require golang.org/x/mod v0.21.0
