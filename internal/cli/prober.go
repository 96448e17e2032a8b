package cli

import (
	"github.com/Sefaria/statusgen/internal/config"
	"github.com/Sefaria/statusgen/internal/probe"
)

// NewProber is the prober `once` and `run` check services with, built
// from cfg as they build it. The conformance suite
// (internal/probe/conformance) holds exactly this one to real servers;
// it tells no one of retries.
func NewProber(cfg *config.Config) *probe.Prober { return newProber(cfg, nil) }
