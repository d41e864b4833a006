// Package shape is the XML codec of the CloudFront REST-XML API, driven at
// run time by botocore's service models for API versions 2016-01-13 and
// 2020-05-31.
//
// The models (embedded from models/, written by gen from botocore's data)
// are the authority on element names, member order, required members, enum
// values and list item names. Decode turns a request body into a generic
// tree, validated against the model as it is read; Encode writes a tree
// back in model order; Merge applies an update made through one version to a
// document that may carry the other version's members.
//
// # Why a model-driven codec
//
// Hand-written or generated Go structs would mean about a hundred types per
// API version, twice, plus conversions between the two versions and a
// domain model. One generic codec handles every shape of both versions, the
// cross-version merge is written once instead of per type, and when botocore
// changes, regenerating the models is the whole upgrade. The price is that
// code reading a tree uses member names as map keys rather than fields.
//
// # Tree representation
//
// A decoded document is plain data, so it can be stored as JSON as it is:
//
//   - structure: map[string]any keyed by member name (the XML element name is
//     the member's locationName when the model sets one);
//   - list: []any; an empty <Items/> is an empty, non-nil []any;
//   - scalar: string in canonical form: "true"/"false", base-10 integers
//     ("+05" becomes "5"), timestamps as RFC 3339 in UTC with as many
//     fraction digits as needed (time.RFC3339Nano), strings, enums and base64
//     blobs verbatim.
//
// An absent member is absent from its map; an empty element of a string
// member is present with "". Quantity/Items wrappers are ordinary
// structures: <Aliases><Quantity>1</Quantity><Items><CNAME>a.example</CNAME>
// </Items></Aliases> is {"Quantity": "1", "Items": ["a.example"]}.
//
// # Validation
//
// Decode returns *Error with a CloudFront error code: MissingBody for an empty
// body; MalformedXML for XML that is not well formed, a wrong root, content
// after the root, an element inside a scalar, a list item with the wrong
// element name, a non-list member given twice, an element in a namespace
// other than the version's own (http://cloudfront.amazonaws.com/doc/<version>/;
// no namespace at all is read as the version's own, since the request path
// names the version), or a document past the limits (depth 64, 100,000
// elements);
// InvalidArgument for a value that does not parse as its type, a value not in
// its enum, or a missing required member; InconsistentQuantities when a
// structure's Quantity differs from the number of its Items (at every level).
// Errors come in document order: values are checked as they are read,
// required members and Quantity when their structure ends. Error.Field is
// the member path, e.g. "DistributionConfig.Origins.Items[0].DomainName".
//
// # Caveats
//
//   - Unknown elements (in the version's namespace or none) are skipped, not
//     stored, with everything inside them: a newer client's members reach
//     an older version as no change. Attributes are ignored.
//   - A body whose meaning is ambiguous is refused rather than guessed: a
//     repeated non-list member (two <Comment>s), an element in another
//     namespace (another version's or a future one's).
//   - White space around booleans, numbers and timestamps is ignored; string
//     values are never trimmed.
//   - The models' length, range and pattern constraints (min, max, pattern)
//     are not checked; that is left to the service's own validation.
//   - Decode does not limit the body's size: wrap the reader, e.g. with
//     http.MaxBytesReader. Read errors come back wrapped, not as *Error.
//   - An empty optional Items next to a Quantity is omitted by Encode, so
//     Decode(Encode(t)) drops {"Items": []} from such wrappers.
//   - Encode writes string values as they are, except that an optional
//     member whose value is not in its enum is left out (a 2020 value this
//     version cannot express; a required one is written as it is); string
//     timestamps must be RFC 3339 and are written unchanged.
//   - Map shapes and XML attributes are not implemented; Load fails if a
//     model uses them (the CloudFront models do not).
package shape

//go:generate sh -c "go run ./gen -botocore $(python3 -c 'import botocore,os;print(os.path.dirname(botocore.__file__))')/data -out models"
