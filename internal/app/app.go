// Package app wires OpenFront together: it parses the command line
// (README.md, "Command line"), builds the store, control plane, API,
// snapshot watcher, edge and listeners, and runs them until a signal stops
// them. It is the only place that knows every component; everything else
// receives what it needs.
package app

import (
	"errors"
	"flag"
	"fmt"
	"io"
)

// Run runs the command line and returns the process exit code.
func Run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		err := serve(args[1:], stdout, stderr)
		switch {
		case errors.Is(err, flag.ErrHelp):
			return 0 // serve -h: the usage went to stdout
		case errors.Is(err, errBadFlag):
			return 2 // the flag package said what was wrong
		case err != nil:
			fmt.Fprintf(stderr, "openfront: %v\n", err)
			return 1
		}
		return 0
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "openfront", Version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "openfront: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

// Version is the program version.
var Version = "0.1.0-dev"

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: openfront <command> [flags]

Commands:
  serve     run the control-plane API, the HTTP/HTTPS edge and the RTMP edge
            in one process (see 'openfront serve -h' for flags)
  version   print the version (also: openfront --version)

Environment:
`+environmentHelp)
}

// environmentHelp lists the OPENFRONT_* variables (help of openfront and
// of openfront serve).
const environmentHelp = `  OPENFRONT_ACCESS_KEY_ID, OPENFRONT_SECRET_ACCESS_KEY
            the API's key pair (both or neither; default: generated on first
            start and kept in <data-dir>/credentials)
  OPENFRONT_S3_ACCESS_KEY_ID, OPENFRONT_S3_SECRET_ACCESS_KEY
            credentials for --s3-endpoint: signing S3 origin requests of
            origins with an OAI or OAC, and delivering access logs to the
            logging bucket
  OPENFRONT_KINESIS_ACCESS_KEY_ID, OPENFRONT_KINESIS_SECRET_ACCESS_KEY
            credentials for --kinesis-endpoint: putting real-time log records
            to the Kinesis data streams of real-time log configurations
`
