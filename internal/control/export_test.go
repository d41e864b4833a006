package control

// ETag is etag for the external tests: the ETag the code before separate
// key value store ETags gave a record of this id and revision.
func ETag(id string, modRev int64) string { return etag(id, modRev) }
