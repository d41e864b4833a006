package snapshot

import (
	"log/slog"
	"strings"

	"openfront/internal/cachepolicy"
	"openfront/internal/model"
	"openfront/internal/tlsconfig"
)

// Lightsail distributions (lsdist/<name>) carry a derived CloudFront
// DistributionConfig; they compile into ordinary Distributions, served by
// their domain name and keyed by their derived id, so the edge treats them
// exactly like CloudFront distributions.

// compileLightsail adds the Lightsail distributions to the snapshot.
//
// The origin is where this edge's --lightsail-origin map sends the origin
// name the user gave (Settings.Origin.Name), whatever address the stored
// config holds (see model.LightsailDistributionRecord.Config): a restart
// with a new map moves every distribution to the new host, and in a
// cluster each edge node applies its own map.
func (r *records) compileLightsail(s *Snapshot, log *slog.Logger) {
	for _, rec := range r.ls {
		tree := model.WithLightsailOriginAddress(rec.Config, model.ResolveLightsailOrigin(rec.Settings.Origin.Name, r.lightsailOrigins))
		cfg, err := model.ParseDistributionConfig(tree)
		if err != nil {
			log.Error("snapshot: stored lightsail distribution does not parse", "name", rec.Name, "err", err)
			continue
		}
		d, err := compileDistribution(&model.DistributionRecord{ID: rec.ID, DomainName: rec.DomainName, Config: tree}, cfg, cachepolicy.Custom{}) // Lightsail uses its own (legacy) settings
		if err != nil {
			log.Error("snapshot: stored lightsail distribution does not compile", "name", rec.Name, "err", err)
			continue
		}
		// Lightsail's viewerMinimumTlsProtocolVersion holds with the default
		// certificate too (Lightsail API Reference, CreateDistribution): on
		// the distribution's own domain name, which keeps the default
		// certificate when certificateName names another (as CloudFront's
		// *.cloudfront.net name does). (Without a certificateName, DomainTLS
		// and TLS are one.) The named certificate's own settings (d.TLS)
		// already carry the policy, as CloudFront's do.
		if p, ok := tlsconfig.SecurityPolicy(cfg.ViewerCertificate.MinimumProtocolVersion); ok {
			d.DomainTLS.Policy = p
		}
		d.LightsailName = rec.Name
		s.Distributions[d.ID] = d
		s.byHost[strings.ToLower(d.DomainName)] = d
		// The domains of an attached certificate (the derived config's
		// Aliases, claimed by the control plane) are served as a
		// CloudFront distribution's aliases are.
		s.serveAliases(d, cfg.Aliases)
	}
}
