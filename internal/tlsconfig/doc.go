// Package tlsconfig chooses each viewer TLS connection's certificate,
// protocol floor, cipher suites and ALPN protocols from its SNI name, per
// distribution, as CloudFront does:
//
//   - the certificate: the generated default certificate for
//     *.<domain-suffix> (CloudFrontDefaultCertificate), or the operator's
//     certificate for the distribution's ACMCertificateArn or
//     IAMCertificateId, read from the --certificate-dir directory (Store;
//     file names from FileBase) and re-read when the files change;
//   - the security policy (MinimumProtocolVersion): the protocol floor and
//     the TLS 1.0-1.2 cipher suites of CloudFront's table (Policy);
//   - the HTTP versions (HttpVersion): "http/1.1" always, "h2" for http2
//     and http2and3 (to viewers sending SNI, over TLS 1.2 or later), and
//     HTTP/3 over QUIC for http3 and http2and3 (ALPN).
//
// The snapshot compiles one Viewer per distribution; a Selector's
// GetConfigForClient finds the Viewer of the SNI name and hands back a
// tls.Config built once per Viewer and certificate. The control plane
// uses Store.Check to refuse a certificate that is missing, expired or
// does not cover an alias (InvalidViewerCertificate).
//
// Go cannot do everything the table lists: it has no SSLv3 (the SSLv3
// policy starts at TLS 1.0), no ECDHE-*-AES256-SHA384 and no RC4-MD5
// suites, and its TLS 1.3 suites are fixed (TLSv1.3_2025 also offers
// TLS_CHACHA20_POLY1305_SHA256). The README lists these departures.
package tlsconfig
