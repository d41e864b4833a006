// Package accesslog writes CloudFront standard access logs ("Standard
// logging reference", AWS CloudFront Developer Guide,
// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/standard-logs-reference.html):
// one tab-separated W3C extended line per viewer request, batched
// per distribution into gzip files named
// <prefix><distribution-id>.YYYY-MM-DD-HH.<unique-id>.gz and delivered to
// a local directory or an S3 bucket.
//
// The parts, from pure to I/O:
//
//   - Record holds the 33 fields in log order; Format renders one line
//     with CloudFront's escaping (URL-encoding of bytes 0–32, bytes >= 127
//     and < > " # % { } | \ ^ ~ [ ] ` ' ; "-" for empty values). Header
//     is the two lines at the top of every file.
//   - Writer buffers lines per (distribution destination, UTC hour) and
//     hands a batch to its Uploader every FlushInterval or MaxRecords
//     records, compressing and uploading in a background goroutine so the
//     request path only formats and appends. Close flushes everything.
//   - Uploader is one method; DirUploader writes files atomically under a
//     directory, S3Uploader calls PutObject on an S3-compatible endpoint.
//
// Delivery is at least once per batch: a failed upload is retried at the
// next flush under the same object name, and Close reports what could
// still not be delivered.
package accesslog
