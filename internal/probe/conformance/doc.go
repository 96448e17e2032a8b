// Package conformance holds statusgen's checks to real servers: nginx,
// Apache and Caddy as Debian ships them, a real net/http server for 1xx
// answers and malformed ones, and tinyproxy as the only way out of a
// network namespace. Each case pins the verdict, kind and detail of the
// prober `statusgen once` and `run` build, and compares the verdict with
// net/http's default client and with curl. The package has only tests;
// docs/checks.md says what it covers and how to run one server's cases.
package conformance
