module github.com/radixlm/radixlm/bindings/go

go 1.19
