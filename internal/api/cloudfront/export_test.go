package cloudfront

// ServedOperations exposes the names of the operations a route serves.
var ServedOperations = servedOperations

// Versions and RouteTable expose the route table to the golden tests,
// which check that every served operation has a golden case.
var Versions = versions

// RouteTable lists each route's method, path below the version prefix and
// first version.
func RouteTable() (out [][3]string) {
	for _, rt := range routes {
		out = append(out, [3]string{rt.method, rt.path, rt.since})
	}
	return out
}
