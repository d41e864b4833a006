// Package app wires OpenFront together: it parses the command line
// (cli.md), builds the store, control plane, API, snapshot watcher, edge
// and listeners, and runs them until a signal stops them. It is the only
// place that knows every component; everything else receives what it needs.
package app

import (
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
		if err := serve(args[1:], stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "openfront: %v\n", err)
			return 1
		}
		return 0
	case "version":
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
  version   print the version
`)
}
