package cloudfront

// ServedOperations exposes the names of the operations a route serves.
var ServedOperations = servedOperations
