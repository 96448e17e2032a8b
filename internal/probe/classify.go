package probe

import (
	"compress/flate"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// classify maps a transport error to its kind. ctx is the request's
// context: once it is done, whatever error the transport reports is a timeout.
//
// A connection that was refused, reset or closed before any answer is
// connect; an answer that began and then broke off (a clean close before
// the end of the headers, the Content-Length or the last chunk) or that
// is not valid HTTP or gzip is protocol: the server was there and answered,
// so the page must not call it unreachable.
func classify(ctx context.Context, err error) uptime.ErrorKind {
	var (
		dnsErr     *net.DNSError
		netErr     net.Error
		certErr    *tls.CertificateVerificationError
		unknownCA  x509.UnknownAuthorityError
		hostErr    x509.HostnameError
		invalidErr x509.CertificateInvalidError
		recordErr  tls.RecordHeaderError
		alertErr   tls.AlertError
		flateErr   flate.CorruptInputError
		refusal    *proxyRefusal
	)
	switch {
	case errors.As(err, &refusal) && (refusal.code == http.StatusProxyAuthRequired || refusal.code == http.StatusUnauthorized):
		// The monitor's credentials for its proxy are missing or wrong: its
		// configuration. (tinyproxy answers wrong ones with 401.)
		return uptime.ErrInternal
	case errors.As(err, &refusal):
		return uptime.ErrConnect // the route to the service failed
	case ctx.Err() != nil, errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return uptime.ErrTimeout
	case errors.Is(err, errTooManyRedirects):
		return uptime.ErrRedirect
	case errors.As(err, &dnsErr):
		return uptime.ErrDNS
	case errors.As(err, &netErr) && netErr.Timeout():
		return uptime.ErrTimeout
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &recordErr), errors.As(err, &alertErr):
		return uptime.ErrTLS
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, gzip.ErrHeader), errors.Is(err, gzip.ErrChecksum),
		errors.As(err, &flateErr):
		return uptime.ErrProtocol
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF):
		return uptime.ErrConnect
	}
	// net/http reports most answers it cannot parse only as text.
	msg := strings.ToLower(err.Error())
	switch {
	case strings.Contains(msg, "invalid header field"):
		return uptime.ErrInternal // a header in services.toml that HTTP cannot carry
	case slices.ContainsFunc(malformed, func(m string) bool { return strings.Contains(msg, m) }):
		return uptime.ErrProtocol
	case strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"):
		return uptime.ErrTLS
	}
	return uptime.ErrConnect
}

// malformed are the words of net/http's errors about an answer that is
// not valid HTTP (lower case).
var malformed = []string{
	"malformed http",                // status line: `malformed HTTP response "SSH-2.0-…"`, `malformed HTTP status code`
	"malformed mime",                // header lines
	"response headers exceeded",     // more than maxHeaderBytes of headers, 1xx answers included
	"chunk",                         // `invalid byte in chunk length`, `malformed chunked encoding`, `chunk length too large`
	"content-length",                // `bad Content-Length "ten"`, `cannot contain multiple Content-Length headers`
	"transfer encoding",             // `unsupported transfer encoding: "foo"`, `too many transfer encodings`
	"http2:",                        // a broken HTTP/2 exchange
	"http response to https client", // a plain-http answer to a TLS hello
}

// innerError is err's text without the *url.Error wrapper, which would
// repeat the full request URL, query string included, and without
// net/http's "transport connection broken" preamble. A DNS failure is
// reduced to the name and the reason: the resolver's address describes the
// monitor's own network, which has no place in a public history.
func innerError(err error) string {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "lookup " + dnsErr.Name + ": " + dnsErr.Err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return strings.TrimPrefix(err.Error(), "net/http: HTTP/1.x transport connection broken: ")
}

// detailURL is raw reduced to scheme, host and path: query strings and
// userinfo often carry secrets and must never reach the public history.
func detailURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<invalid url>"
	}
	return sanitizedURL(u)
}

// sanitizedURL is u without userinfo, query or fragment.
func sanitizedURL(u *url.URL) string {
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}
