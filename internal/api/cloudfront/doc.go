// Package cloudfront is the CloudFront REST-XML front-end, serving API
// versions 2016-01-13 and 2020-05-31 side by side over the same resources.
//
// Each handler has the same shape: decode the wire body with the version's
// botocore model (package shape) into a document tree, call control, build
// the response tree and encode it with the same model. Encoding a stored
// (2020-shaped) document with the 2016 model drops the members 2016 lacks;
// an update through 2016 is merged into the stored document so that those
// members keep their values. routes.go is the whole API surface; errors.go
// maps every error to CloudFront's ErrorResponse in one place.
//
// Handlers return errors; only writeError writes an error body.
package cloudfront
