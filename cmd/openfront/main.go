// Command openfront is a self-hosted CDN that speaks the Amazon CloudFront
// API. See README.md and `openfront help`.
package main

import (
	"os"

	"openfront/internal/app"
)

func main() {
	os.Exit(app.Run(os.Args[1:], os.Stdout, os.Stderr))
}
