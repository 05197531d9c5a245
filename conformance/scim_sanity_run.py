"""Run `scim-sanity probe` (strict mode) against a running scimd and report each result.

    python scim_sanity_run.py --vars VARS.json [--org sanity] [--summary OUT.json]

scim-sanity generates users as `scim-sanity-test-<hex>@example.com` (its `--user-domain` only
applies together with its Entra profile), so conformance/run bootstraps an org that has
verified example.com and gives scim-sanity that org's directory token: its users are then
managed by the directory's own org, as an IdP's users are (docs/domain.md rule 12).
"""

import json
import os
import subprocess
import sys

from common import Suite, driver_parser, load_vars


def main():
    ap = driver_parser()
    ap.add_argument("--org", default="sanity")
    args = ap.parse_args()
    env = load_vars(args.vars)

    exe = os.path.join(os.path.dirname(sys.executable), "scim-sanity")
    cmd = [
        exe, "probe", env["base"],
        "--token", env[f"token_{args.org}"],
        "--i-accept-side-effects", "--json-output", "--strict", "--timeout", "30",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    suite = Suite("scim-sanity", verbose=not args.quiet)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        suite.record("scim-sanity:run", False, f"no JSON report (exit {proc.returncode}): "
                     f"{(proc.stdout + proc.stderr)[-800:]}")
        print(suite.summary_line())
        suite.write_summary(args.summary)
        return 1

    if report.get("mode") != "strict":
        suite.record("scim-sanity:mode", False, f"ran in {report.get('mode')} mode, not strict")
    seen = {}
    for result in report.get("results", []):
        name = result.get("name", "?")
        seen[name] = seen.get(name, 0) + 1
        cid = f"scim-sanity:{name}" + (f"#{seen[name]}" if seen[name] > 1 else "")
        status = result.get("status")
        detail = f"{result.get('phase', '')}: {result.get('message', '')}".strip(": ")
        if status == "skip":
            suite.record(cid, True, detail, skipped=True)
        else:
            # Strict: a warning is a deviation, so it counts as a failure too.
            suite.record(cid, status == "pass", f"{status}: {detail}")
    print(suite.summary_line())
    suite.write_summary(args.summary)
    return 1 if suite.failed else 0


if __name__ == "__main__":
    sys.exit(main())
