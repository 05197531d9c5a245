//! Reading a domain challenge's TXT record (rule 20's proof) through a DNS resolver.

use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::proto::ProtoErrorKind;
use hickory_resolver::{ResolveError, TokioResolver};

/// Why a lookup said nothing about the record: the resolver could not be asked or did not
/// answer. Not a refusal: the admin should try again, or the operator fix the resolver.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct DnsUnavailable(pub String);

/// Where scimd asks for TXT records.
#[derive(Clone)]
pub struct DnsChecker {
    resolver: Result<TokioResolver, String>,
}

impl std::fmt::Debug for DnsChecker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DnsChecker").finish_non_exhaustive()
    }
}

impl DnsChecker {
    /// A resolver that asks `server` over UDP, or the system's resolvers (`/etc/resolv.conf`)
    /// without one. Answers are not cached: a check right after the admin published the
    /// record must not see an earlier "no such name".
    #[must_use]
    pub fn new(server: Option<SocketAddr>, timeout: Duration) -> Self {
        let builder = match server {
            Some(addr) => Ok(TokioResolver::builder_with_config(
                ResolverConfig::from_parts(
                    None,
                    Vec::new(),
                    vec![NameServerConfig::new(addr, Protocol::Udp)],
                ),
                TokioConnectionProvider::default(),
            )),
            None => TokioResolver::builder_tokio()
                .map_err(|e| format!("the system's DNS configuration cannot be read: {e}")),
        };
        let resolver = builder.map(|builder| {
            let mut opts = ResolverOpts::default();
            opts.timeout = timeout;
            opts.attempts = 2;
            opts.cache_size = 0;
            opts.ndots = 0;
            builder.with_options(opts).build()
        });
        if let Err(reason) = &resolver {
            tracing::warn!(%reason, "domain verification cannot reach DNS");
        }
        Self { resolver }
    }

    /// The texts of the TXT records at `name` (each record's strings joined); empty for
    /// NXDOMAIN or a name without TXT records.
    pub async fn txt(&self, name: &str) -> Result<Vec<String>, DnsUnavailable> {
        let resolver = self
            .resolver
            .as_ref()
            .map_err(|reason| DnsUnavailable(reason.clone()))?;
        // Fully qualified, so no search domain is appended.
        match resolver.txt_lookup(format!("{name}.")).await {
            Ok(lookup) => Ok(lookup
                .iter()
                .map(|txt| {
                    txt.iter()
                        .map(|part| String::from_utf8_lossy(part))
                        .collect::<String>()
                })
                .collect()),
            Err(err) if no_such_records(&err) => Ok(Vec::new()),
            Err(err) => Err(DnsUnavailable(describe(name, &err))),
        }
    }
}

fn no_such_records(err: &ResolveError) -> bool {
    matches!(
        err.proto().map(|p| p.kind()),
        Some(ProtoErrorKind::NoRecordsFound {
            response_code: ResponseCode::NXDomain | ResponseCode::NoError,
            ..
        })
    )
}

fn describe(name: &str, err: &ResolveError) -> String {
    let why = match err.proto().map(|p| p.kind()) {
        Some(ProtoErrorKind::Timeout) => "the DNS server did not answer in time".to_owned(),
        Some(ProtoErrorKind::NoRecordsFound { response_code, .. }) => {
            format!("the DNS server answered {response_code}")
        }
        _ => format!("the DNS lookup failed ({err})"),
    };
    format!("could not read the TXT records at {name}: {why}; try again later")
}
