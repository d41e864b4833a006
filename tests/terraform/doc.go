// Package terraform drives the real openfront binary with the calls the
// Terraform AWS provider makes, through the same client it uses
// (aws-sdk-go-v2's cloudfront and lightsail packages): create, wait for the
// deployment, read, update with If-Match (and the refetch after
// PreconditionFailed), disable and delete, wait until gone; for Lightsail,
// every change followed by GetOperation polling. Each response is checked
// for the members the provider reads: a missing one panics the provider or
// shows as a perpetual diff (see the path lists in cloudfront_test.go and
// lightsail_test.go).
package terraform
