"""Drive scim2-tester (python-scim) against a running scimd, through its Python API.

    python scim2_tester_run.py --vars VARS.json [--org acme] [--summary OUT.json] [--trace OUT.log]

`check_server` discovers the server (ServiceProviderConfig, Schemas, ResourceTypes), then runs
create/read/query/replace/delete and PATCH add/remove/replace checks for every resource type,
with every writable attribute filled, the enterprise extension included.

Three adjustments. First, a directory manages only accounts on its org's verified domains
(docs/domain.md), and the account's email comes from `emails`. scim2-tester draws email
addresses on random domains, which would make every user an external one whose profile the
directory may not change; this driver draws them as `<uuid>@<domain>` with a domain the
directory's org has verified (what scim-sanity's `--user-domain` does), and a User that
scim2-tester fills with its required attributes only gets one such email too (an account
needs an address; the entry is drawn by scim2-tester's own filling). userName stays
scim2-tester's own (a bare UUID): it is the directory's identifier, not an email. Every other
value, request and verdict is scim2-tester's own. Second, the ServiceProviderConfig model
ignores members RFC 7643 §5 does not list (scimd adds the roles-and-entitlements draft's
`RolesAndEntitlements`), as a client that does not know an extension should. Third, the
create/read/replace/delete checks run on Users and Groups only: scimd's other resource type,
Entitlement, is read-only (its writes are 405), and those checks begin by creating one.
"""

import collections
import json
import sys
import uuid

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient

import scim2_tester.checkers.patch_add as patch_add
import scim2_tester.checkers.patch_replace as patch_replace
import scim2_tester.filling as filling
from scim2_tester import Status, check_server

from common import Suite, driver_parser, load_vars

PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


def is_email_value(path):
    """The same test scim2-tester's filling applies before drawing an email address."""
    if str(path).endswith("emails.value"):
        return True
    binding = path.resolve()
    model = binding.target_model if binding else path.model
    field = binding.target_field_name if binding else None
    return field == "value" and model is not None and "email" in model.__name__.lower()


def use_verified_email_domain(domain):
    original = filling.generate_random_value

    def generate(context, path, mutability=None, required=None):
        value = original(context, path, mutability=mutability, required=required)
        if isinstance(value, str) and "@" in value and is_email_value(path):
            value = f"{uuid.uuid4()}@{domain}"
        return value

    # The checkers import the function by name, so patch every place that holds it.
    for module in (filling, patch_add, patch_replace):
        module.generate_random_value = generate

    # A User filled with its required attributes only has a userName and no email, which
    # scimd refuses (the account needs an address). Such users also get `emails`, drawn
    # by scim2-tester's own filling (one entry, on the verified domain).
    original_fill = filling.fill_with_random_values

    def fill(context, obj, paths=None, mutability=None, required=None):
        obj = original_fill(context, obj, paths=paths, mutability=mutability, required=required)
        if paths is None and type(obj).__name__.startswith("User") and not getattr(obj, "emails", None):
            for path in filling.parametrize(filling.Path, type(obj)).iter_paths():
                if str(path).split(":")[-1] == "emails":
                    original_fill(context, obj, paths=[path])
                    break
        return obj

    filling.fill_with_random_values = fill


def allow_service_provider_extensions():
    """scim2-models refuses any ServiceProviderConfig member RFC 7643 §5 does not list, and
    then scim2-tester skips every later check. scimd's ServiceProviderConfig also carries
    `RolesAndEntitlements` (draft-ietf-scim-roles-entitlements-01 §3.1) and
    `securityEvents` (RFC 9967 §4), which a client that does not know them should ignore;
    so the model here ignores them too."""
    from scim2_models import ServiceProviderConfig

    ServiceProviderConfig.model_config["extra"] = "allow"
    ServiceProviderConfig.model_rebuild(force=True)


def tracer(path):
    log = open(path, "w", encoding="utf-8")

    def on_response(response):
        request = response.request
        response.read()
        log.write(f">>> {request.method} {request.url}\n")
        for name in ("if-match", "if-none-match", "content-type"):
            if name in request.headers:
                log.write(f"{name}: {request.headers[name]}\n")
        if request.content:
            log.write(request.content.decode("utf-8", "replace") + "\n")
        log.write(f"<<< {response.status_code} etag={response.headers.get('etag')}\n")
        log.write(response.text + "\n\n")
        log.flush()

    return on_response


def check_id(result, seen):
    parts = [result.resource_type or "-", result.title or "?"]
    data = result.data if isinstance(result.data, dict) else {}
    if data.get("urn"):
        parts.append(str(data["urn"]))
    base = "scim2-tester:" + ":".join(parts)
    seen[base] += 1
    return base if seen[base] == 1 else f"{base}#{seen[base]}"


def main():
    ap = driver_parser()
    ap.add_argument("--org", default="acme")
    ap.add_argument("--trace")
    args = ap.parse_args()

    env = load_vars(args.vars)
    use_verified_email_domain(env[f"domain_{args.org}"])
    allow_service_provider_extensions()
    hooks = {"response": [tracer(args.trace)]} if args.trace else {}
    http = Client(
        base_url=env["base"],
        headers={"Authorization": f"Bearer {env[f'token_{args.org}']}"},
        timeout=30,
        event_hooks=hooks,
    )
    client = SyncSCIMClient(http)

    suite = Suite("scim2-tester", verbose=not args.quiet)
    # Entitlements are read-only by design (draft-ietf-scim-roles-entitlements-01; POST, PUT,
    # PATCH and DELETE are 405), and scim2-tester's lifecycle checks create what they test.
    # Discovery still covers the Entitlement resource type and schema.
    results = check_server(client, resource_types=["User", "Group"])
    seen = collections.Counter()
    for result in results:
        cid = check_id(result, seen)
        detail = f"{result.status.name}: {result.reason or ''}".strip()
        if result.status == Status.SKIPPED:
            suite.record(cid, True, detail, skipped=True)
        else:
            suite.record(cid, result.status in PASSING, detail[:600])
    print(suite.summary_line())
    suite.write_summary(args.summary)
    return 1 if suite.failed else 0


if __name__ == "__main__":
    sys.exit(main())
