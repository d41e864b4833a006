// Command mkgeodb writes a small country database for end-to-end tests:
//
//	go run ./internal/geo/geotest/cmd/mkgeodb out.mmdb 127.0.0.2/32=DE 127.0.0.3/32=FR
package main

import (
	"fmt"
	"os"
	"strings"

	"openfront/internal/geo/geotest"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mkgeodb OUT.mmdb NETWORK=CC ...")
		os.Exit(2)
	}
	networks := map[string]string{}
	for _, arg := range os.Args[2:] {
		n, cc, ok := strings.Cut(arg, "=")
		if !ok || len(cc) != 2 {
			fmt.Fprintf(os.Stderr, "mkgeodb: bad argument %q, want NETWORK=CC\n", arg)
			os.Exit(2)
		}
		networks[n] = cc
	}
	if err := geotest.Write(os.Args[1], networks); err != nil {
		fmt.Fprintln(os.Stderr, "mkgeodb:", err)
		os.Exit(1)
	}
}
