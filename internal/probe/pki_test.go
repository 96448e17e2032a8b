package probe

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// testPKI holds certificates shaped like a public CA's, made once per test
// binary: for ECDSA P-256 and for RSA 2048 a root, an intermediate and a
// leaf, the server sending leaf and intermediate as real servers do; a
// self-signed ECDSA leaf (one certificate, as in the table); and
// leaves that fail verification (expired, for another name). Leaves name
// 127.0.0.1, ::1, localhost and *.test. roots trusts the two roots and the
// self-signed leaf.
type testPKI struct {
	ecdsa, rsa, single chain
	expired, wrongName chain
	roots              *x509.CertPool
	rootsPEM           []byte
}

// chain is what a TLS server presents: its certificates (DER, leaf first)
// and the leaf's key.
type chain struct {
	certs [][]byte
	key   crypto.Signer
}

func (c chain) certificate() tls.Certificate {
	return tls.Certificate{Certificate: c.certs, PrivateKey: c.key}
}

var (
	pkiOnce sync.Once
	pki     *testPKI
	pkiErr  error
)

// thePKI returns the test binary's PKI, made at the first call.
func thePKI(tb testing.TB) *testPKI {
	tb.Helper()
	pkiOnce.Do(func() { pki, pkiErr = newTestPKI() })
	if pkiErr != nil {
		tb.Fatalf("test PKI: %v", pkiErr)
	}
	return pki
}

func newTestPKI() (*testPKI, error) {
	p := &testPKI{roots: x509.NewCertPool()}
	ecKey := func() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }
	rsaKey := func() (crypto.Signer, error) { return rsa.GenerateKey(rand.Reader, 2048) }
	valid := [2]time.Time{time.Now().Add(-time.Hour), time.Now().Add(24 * time.Hour)}

	var err error
	var ecRoot, ecInter *issuer
	if ecRoot, err = newRoot("statusgen test root ECDSA", ecKey); err != nil {
		return nil, err
	}
	if ecInter, err = ecRoot.intermediate("statusgen test intermediate ECDSA", ecKey); err != nil {
		return nil, err
	}
	if p.ecdsa, err = ecInter.leaf(ecKey, valid, leafNames); err != nil {
		return nil, err
	}
	if p.expired, err = ecInter.leaf(ecKey, [2]time.Time{valid[0].Add(-48 * time.Hour), valid[0]}, leafNames); err != nil {
		return nil, err
	}
	if p.wrongName, err = ecInter.leaf(ecKey, valid, names{dns: []string{"elsewhere.example"}}); err != nil {
		return nil, err
	}
	rsaRoot, err := newRoot("statusgen test root RSA", rsaKey)
	if err != nil {
		return nil, err
	}
	rsaInter, err := rsaRoot.intermediate("statusgen test intermediate RSA", rsaKey)
	if err != nil {
		return nil, err
	}
	if p.rsa, err = rsaInter.leaf(rsaKey, valid, leafNames); err != nil {
		return nil, err
	}
	if p.single, err = selfSigned(ecKey, valid); err != nil {
		return nil, err
	}
	for _, der := range [][]byte{ecRoot.cert.Raw, rsaRoot.cert.Raw, p.single.certs[0]} {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, err
		}
		p.roots.AddCert(c)
		p.rootsPEM = append(p.rootsPEM, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	return p, nil
}

// names are a leaf's subject alternative names.
type names struct {
	dns []string
	ips []net.IP
}

var leafNames = names{dns: []string{"localhost", "*.test"}, ips: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}}

// issuer is a CA certificate and its key.
type issuer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

var serial int64

func template(cn string, valid [2]time.Time) *x509.Certificate {
	serial++
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"statusgen tests"}},
		NotBefore:    valid[0],
		NotAfter:     valid[1],
	}
}

func newRoot(cn string, newKey func() (crypto.Signer, error)) (*issuer, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	t := template(cn, [2]time.Time{time.Now().Add(-time.Hour), time.Now().Add(48 * time.Hour)})
	t.IsCA, t.BasicConstraintsValid = true, true
	t.KeyUsage = x509.KeyUsageCertSign
	return sign(t, t, key.Public(), key, key)
}

func (ca *issuer) intermediate(cn string, newKey func() (crypto.Signer, error)) (*issuer, error) {
	key, err := newKey()
	if err != nil {
		return nil, err
	}
	t := template(cn, [2]time.Time{time.Now().Add(-time.Hour), time.Now().Add(48 * time.Hour)})
	t.IsCA, t.BasicConstraintsValid, t.MaxPathLenZero = true, true, true
	t.KeyUsage = x509.KeyUsageCertSign
	return sign(t, ca.cert, key.Public(), ca.key, key)
}

func (ca *issuer) leaf(newKey func() (crypto.Signer, error), valid [2]time.Time, n names) (chain, error) {
	key, err := newKey()
	if err != nil {
		return chain{}, err
	}
	t := template("statusgen test leaf", valid)
	t.DNSNames, t.IPAddresses = n.dns, n.ips
	t.KeyUsage = x509.KeyUsageDigitalSignature
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	leaf, err := sign(t, ca.cert, key.Public(), ca.key, key)
	if err != nil {
		return chain{}, err
	}
	return chain{certs: [][]byte{leaf.cert.Raw, ca.cert.Raw}, key: key}, nil
}

func selfSigned(newKey func() (crypto.Signer, error), valid [2]time.Time) (chain, error) {
	key, err := newKey()
	if err != nil {
		return chain{}, err
	}
	t := template("statusgen test self-signed", valid)
	t.DNSNames, t.IPAddresses = leafNames.dns, leafNames.ips
	t.KeyUsage = x509.KeyUsageDigitalSignature
	t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	c, err := sign(t, t, key.Public(), key, key)
	if err != nil {
		return chain{}, err
	}
	return chain{certs: [][]byte{c.cert.Raw}, key: key}, nil
}

func sign(t, parent *x509.Certificate, pub crypto.PublicKey, signer, key crypto.Signer) (*issuer, error) {
	der, err := x509.CreateCertificate(rand.Reader, t, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("sign %q: %w", t.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &issuer{cert: c, key: key}, nil
}

// writePEM writes the chain and its key to dir/name.pem, for a server in
// another process.
func (c chain) writePEM(dir, name string) (string, error) {
	var b []byte
	for _, der := range c.certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	}
	key, err := x509.MarshalPKCS8PrivateKey(c.key)
	if err != nil {
		return "", err
	}
	b = append(b, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: key})...)
	path := filepath.Join(dir, name+".pem")
	return path, os.WriteFile(path, b, 0o600)
}

// newTLSServer starts an httptest server on 127.0.0.1 presenting c, with
// HTTP/2 on offer, closed with the test.
func newTLSServer(t *testing.T, c chain, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.EnableHTTP2 = true
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{c.certificate()}}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // failed handshakes are what some tests are about
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// tlsProber is newProber trusting the test PKI's roots.
func tlsProber(t testing.TB) (*Prober, *fakeSleep) {
	p, fs := newProber()
	p.RootCAs = thePKI(t).roots
	return p, fs
}
