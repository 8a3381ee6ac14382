module github.com/seed27eed597/flagship-go

go 1.24
