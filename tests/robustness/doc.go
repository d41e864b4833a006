// Package robustness holds the crash tests of the store: a writer process
// is killed with SIGKILL in the middle of its commits, and the test checks
// that every commit it acknowledged survives and the data file is
// consistent. The writer is the test binary itself, run again with an
// environment variable set (see TestMain). The tests are slow and skipped
// under -short.
package robustness
