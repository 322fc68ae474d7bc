package ck

//go:generate go run ./internal/gen zconst.go
