package shape

// Codes of the errors Decode returns. They are CloudFront error codes, so an
// API handler can render them as they are (all are 400 Bad Request).
const (
	// CodeMissingBody: the body is empty or only white space.
	CodeMissingBody = "MissingBody"
	// CodeMalformedXML: the body is not well-formed XML, has the wrong root
	// element or content after it, puts an unexpected element inside a list
	// or a scalar, or exceeds the depth or element limits.
	CodeMalformedXML = "MalformedXML"
	// CodeInvalidArgument: a value does not parse as its type, is not in its
	// enum, or a required member is missing.
	CodeInvalidArgument = "InvalidArgument"
	// CodeInconsistentQuantities: a Quantity differs from the number of Items.
	CodeInconsistentQuantities = "InconsistentQuantities"
)

// Error is a client error found while decoding a request body.
type Error struct {
	Code    string // one of the Code constants
	Message string // CloudFront-style message, safe to return to the client
	Field   string // dotted member path, e.g. "DistributionConfig.Origins.Items[0].Id"; "" when not about one field
}

func (e *Error) Error() string {
	return e.Code + ": " + e.Message
}
