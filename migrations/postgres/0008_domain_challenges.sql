-- Domain verification needs proof (issue 10): an org asking to verify a domain gets a
-- challenge token to publish as a DNS TXT record; until scimd has found it, the domain is
-- pending here and nowhere else. verified_domains, which every managing-org join reads, only
-- ever holds proven domains, so a pending domain changes nothing (docs/domain.md).
-- Several orgs may hold a challenge for one domain (a squatter's challenge must not block
-- the real owner); the first proven one wins the verified_domains row, and the others are
-- then deleted with it.
CREATE TABLE domain_challenges (
    domain     TEXT NOT NULL,
    org_id     UUID NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    token      TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (domain, org_id)
);
CREATE INDEX domain_challenges_org ON domain_challenges(org_id);

-- One-time data fixes that need Rust (here: rewriting domains stored before they were kept
-- in their IDNA ASCII form); a row says it ran (store/idna_fixup.rs).
CREATE TABLE data_fixups (
    name    TEXT PRIMARY KEY,
    done_at TIMESTAMPTZ NOT NULL
);
