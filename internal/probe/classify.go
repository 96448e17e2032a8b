package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/Sefaria/statusgen/internal/uptime"
)

// classify maps a transport error to its kind. ctx is the request's
// context: once it is done, whatever error the transport reports is a timeout.
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
	)
	switch {
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
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return uptime.ErrConnect
	}
	// net/http reports a reply it cannot parse only as text.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "invalid header field"):
		return uptime.ErrInternal // a header in services.toml that HTTP cannot carry
	case strings.Contains(msg, "malformed HTTP"), strings.Contains(msg, "malformed MIME"),
		strings.Contains(msg, "response headers exceeded"), // a header flood is not a network fault
		strings.Contains(msg, "http2:"), strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return uptime.ErrProtocol
	case strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"):
		return uptime.ErrTLS
	}
	return uptime.ErrConnect
}

// innerError is err's text without the *url.Error wrapper, which would
// repeat the full request URL, query string included. A DNS failure is
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
	return err.Error()
}

// detailURL is raw reduced to scheme, host and path: query strings and
// userinfo often carry secrets and must never reach the public history.
func detailURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "<invalid url>"
	}
	return u.Scheme + "://" + u.Host + u.EscapedPath()
}
