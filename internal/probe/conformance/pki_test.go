package conformance

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pki is a public CA's shape, made once per test binary: for ECDSA P-256
// and for RSA 2048 a root, an intermediate and leaves it signs, which
// servers send with the intermediate, as real ones do; and the
// certificates a check must refuse. Only the two roots are trusted.
type pki struct {
	ecRoot, ecInter, rsaRoot, rsaInter *issuer
	strangerInter                      *issuer // under a root nobody trusts
	roots                              *x509.CertPool
	rootsPEM                           []byte
}

// names are a leaf's subject alternative names.
type names struct {
	dns []string
	ips []net.IP
}

// local names this machine, as the servers are reached: localhost, the
// loopback addresses, and bücher.test in the form DNS and certificates
// carry it.
var local = names{
	dns: []string{"localhost", idnASCII},
	ips: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
}

// The IDN host of the IDN cases, as written and as it goes on the wire.
const (
	idnHost  = "bücher.test"
	idnASCII = "xn--bcher-kva.test"
)

var (
	pkiOnce sync.Once
	thePKI  *pki
	pkiErr  error
)

// testPKI returns the test binary's PKI, made at the first call.
func testPKI(t testing.TB) *pki {
	t.Helper()
	pkiOnce.Do(func() { thePKI, pkiErr = newPKI() })
	if pkiErr != nil {
		t.Fatalf("test PKI: %v", pkiErr)
	}
	return thePKI
}

func ecKey() (crypto.Signer, error)  { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }
func rsaKey() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }

func newPKI() (*pki, error) {
	p := &pki{roots: x509.NewCertPool()}
	var err error
	if p.ecRoot, err = newRoot("statusgen conformance root ECDSA", ecKey); err != nil {
		return nil, err
	}
	if p.ecInter, err = p.ecRoot.intermediate("statusgen conformance intermediate ECDSA", ecKey); err != nil {
		return nil, err
	}
	if p.rsaRoot, err = newRoot("statusgen conformance root RSA", rsaKey); err != nil {
		return nil, err
	}
	if p.rsaInter, err = p.rsaRoot.intermediate("statusgen conformance intermediate RSA", rsaKey); err != nil {
		return nil, err
	}
	stranger, err := newRoot("a root nobody trusts", ecKey)
	if err != nil {
		return nil, err
	}
	if p.strangerInter, err = stranger.intermediate("an intermediate nobody trusts", ecKey); err != nil {
		return nil, err
	}
	for _, c := range []*x509.Certificate{p.ecRoot.cert, p.rsaRoot.cert} {
		p.roots.AddCert(c)
		p.rootsPEM = append(p.rootsPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return p, nil
}

// caFile writes the trusted roots to a file in dir, for curl's --cacert
// and the binary's SSL_CERT_FILE.
func (p *pki) caFile(t testing.TB, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "roots.pem")
	if err := os.WriteFile(path, p.rootsPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// issuer is a CA certificate and its key.
type issuer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// chain is what a TLS server presents: certificates (leaf first) and the
// leaf's key.
type chain struct {
	certs []*x509.Certificate
	key   crypto.Signer
}

// valid is a validity period around now.
func valid() [2]time.Time {
	return [2]time.Time{time.Now().Add(-time.Hour), time.Now().Add(48 * time.Hour)}
}

var serial atomic.Int64

func template(cn string, period [2]time.Time) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"statusgen conformance"}},
		NotBefore:    period[0],
		NotAfter:     period[1],
	}
}

func newRoot(cn string, newKey func() (crypto.Signer, error)) (*issuer, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	t := template(cn, valid())
	t.IsCA, t.BasicConstraintsValid = true, true
	t.KeyUsage = x509.KeyUsageCertSign
	return sign(t, t, key, key)
}

func (ca *issuer) intermediate(cn string, newKey func() (crypto.Signer, error)) (*issuer, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	t := template(cn, valid())
	t.IsCA, t.BasicConstraintsValid, t.MaxPathLenZero = true, true, true
	t.KeyUsage = x509.KeyUsageCertSign
	return sign(t, ca.cert, ca.key, key)
}

// leaf is a server certificate for n, valid over period, sent with its
// issuer as servers send it.
func (ca *issuer) leaf(t testing.TB, n names, period [2]time.Time) chain {
	t.Helper()
	newKey := ecKey
	if _, isRSA := ca.key.(*rsa.PrivateKey); isRSA {
		newKey = rsaKey
	}
	key, err := newKey()
	if err != nil {
		t.Fatal(err)
	}
	c := serverTemplate("statusgen conformance leaf", n, period)
	leaf, err := sign(c, ca.cert, ca.key, key)
	if err != nil {
		t.Fatal(err)
	}
	return chain{certs: []*x509.Certificate{leaf.cert, ca.cert}, key: key}
}

// selfSigned is a server certificate that is its own issuer.
func selfSigned(t testing.TB, n names) chain {
	t.Helper()
	key, err := ecKey()
	if err != nil {
		t.Fatal(err)
	}
	c := serverTemplate("statusgen conformance self-signed", n, valid())
	s, err := sign(c, c, key, key)
	if err != nil {
		t.Fatal(err)
	}
	return chain{certs: []*x509.Certificate{s.cert}, key: key}
}

func serverTemplate(cn string, n names, period [2]time.Time) *x509.Certificate {
	c := template(cn, period)
	c.DNSNames, c.IPAddresses = n.dns, n.ips
	c.KeyUsage = x509.KeyUsageDigitalSignature
	c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	return c
}

func sign(c, parent *x509.Certificate, signer, key crypto.Signer) (*issuer, error) {
	der, err := x509.CreateCertificate(rand.Reader, c, parent, key.Public(), signer)
	if err != nil {
		return nil, fmt.Errorf("sign %q: %w", c.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &issuer{cert: cert, key: key}, nil
}

// files writes the chain (leaf first) and its key as PEM files in dir,
// for a server in another process, and returns their paths.
func (c chain) files(t testing.TB, dir, name string) (certFile, keyFile string) {
	t.Helper()
	var b []byte
	for _, cert := range c.certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})...)
	}
	der, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if err := os.WriteFile(certFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// leafOnly is the chain without its intermediate: a server configured
// with an incomplete chain.
func (c chain) leafOnly() chain { return chain{certs: c.certs[:1], key: c.key} }
