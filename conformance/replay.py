"""Replay recorded SCIM request sequences against a running scimd and check the answers.

    python replay.py --vars VARS.json --suite idp conformance/idp [more files or dirs]

A case file (JSON) is an ordered list of steps, replayed in order:

    {
      "title": "...", "source": ["https://..."], "notes": "...",
      "token": "entra",                  # default: Authorization: Bearer ${token_entra}
      "vars": {"user": "alice.${run}@contoso.example"},   # file-level variables
      "pending": "reason",               # optional: the whole file is written but cannot run yet
      "steps": [
        {
          "name": "lookup before create",            # unique within the file
          "method": "GET",
          "path": "/Users?filter=userName eq \"${user}\"",   # relative to ${base}; write the
                                                            # query unencoded, it is encoded here
          "headers": {"Content-Type": "application/json"},  # optional, added to the defaults
          "token": "globex" | null,                  # optional: another org's token, or none
          "body": {...} | "raw": "not json",         # optional
          "expect": {
            "status": 200 | [200, 204],
            "headers": {"Content-Type": {"$contains": "application/scim+json"}},
            "body": {...},                           # subset of the response body
            "json": {"$.totalResults": 0, "$.Resources[0].id": {"$exists": true}}
          },
          "capture": {"userId": "$.id", "etag": {"header": "ETag"}},
          "pending": "reason"                        # optional: reported, not run, not counted
        }
      ]
    }

Variables `${name}` are substituted in paths, headers and bodies: the runner's (`base`, `run`,
`token_<org>`, `domain_<org>`, `org_<org>`, `directory_<org>`), the file's `vars`, and every
capture so far. Matching is by subset: an expected object's keys must be present with
matching values, an expected array's elements must each match some element of the actual
array, and scalars must be equal. A matcher object `{"$op": arg}` can stand for any value:
$exists, $absent, $eq, $ne, $icase (case-insensitive string equality), $contains (substring,
or an array element matching the argument), $len (missing counts as 0: RFC 7643 §2.5 treats
an empty multi-valued attribute as unassigned), $type (string/number/boolean/array/object/null),
$in (one of a list), $excludes (no array element matches; missing counts as empty).

JSON paths: `$`, `.name`, `["urn:...:User"]`, `[0]`, and `[?key=="value"]` (first element of
an array whose `key` equals `value`, case-insensitively).
"""

import glob
import http.client
import json
import os
import re
import sys
import urllib.parse

from common import Suite, driver_parser, load_vars

VAR = re.compile(r"\$\{([A-Za-z0-9_.-]+)\}")


class Undefined(Exception):
    pass


def substitute(value, env):
    if isinstance(value, str):
        def repl(m):
            if m.group(1) not in env:
                raise Undefined(m.group(1))
            return str(env[m.group(1)])
        return VAR.sub(repl, value)
    if isinstance(value, list):
        return [substitute(v, env) for v in value]
    if isinstance(value, dict):
        return {substitute(k, env): substitute(v, env) for k, v in value.items()}
    return value


# ---- JSON paths ---------------------------------------------------------------------------

PATH_TOKEN = re.compile(
    r"""\.(?P<name>[A-Za-z_$][A-Za-z0-9_$-]*)"""
    r"""|\[(?P<index>\d+)\]"""
    r"""|\[\s*(?P<q>["'])(?P<key>.*?)(?P=q)\s*\]"""
    r"""|\[\?\s*(?P<fkey>[A-Za-z0-9_.]+)\s*==\s*(?P<fq>["'])(?P<fval>.*?)(?P=fq)\s*\]"""
)

MISSING = object()


def json_path(doc, path):
    if not path.startswith("$"):
        raise ValueError(f"JSON path must start with $: {path}")
    rest = path[1:]
    node = doc
    while rest:
        m = PATH_TOKEN.match(rest)
        if not m:
            raise ValueError(f"bad JSON path {path!r} at {rest!r}")
        rest = rest[m.end():]
        if m.group("name") is not None or m.group("key") is not None:
            key = m.group("name") if m.group("name") is not None else m.group("key")
            node = node.get(key, MISSING) if isinstance(node, dict) else MISSING
        elif m.group("index") is not None:
            i = int(m.group("index"))
            node = node[i] if isinstance(node, list) and i < len(node) else MISSING
        else:
            fkey, fval = m.group("fkey"), m.group("fval")
            found = MISSING
            if isinstance(node, list):
                for item in node:
                    v = json_path(item, "$." + fkey) if isinstance(item, dict) else MISSING
                    if v is not MISSING and str(v).lower() == fval.lower():
                        found = item
                        break
            node = found
        if node is MISSING:
            return MISSING
    return node


# ---- matching -----------------------------------------------------------------------------

def type_name(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def is_matcher(e):
    return isinstance(e, dict) and e and all(k.startswith("$") for k in e)


def match(expected, actual, where="$"):
    """None when `actual` matches `expected`, else a message saying where and why not."""
    if is_matcher(expected):
        for op, arg in expected.items():
            err = apply_op(op, arg, actual, where)
            if err:
                return err
        return None
    if actual is MISSING:
        return f"{where}: missing (expected {json.dumps(expected)[:200]})"
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {json.dumps(actual)[:200]}"
        for k, v in expected.items():
            err = match(v, actual.get(k, MISSING), f"{where}.{k}")
            if err:
                return err
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return f"{where}: expected an array, got {json.dumps(actual)[:200]}"
        for i, e in enumerate(expected):
            if not any(match(e, a) is None for a in actual):
                return f"{where}: no element matches {json.dumps(e)[:200]} in {json.dumps(actual)[:300]}"
        return None
    if expected != actual or type(expected) is not type(actual) and not (
        isinstance(expected, (int, float)) and isinstance(actual, (int, float))
        and not isinstance(expected, bool) and not isinstance(actual, bool)
    ):
        return f"{where}: expected {json.dumps(expected)}, got {json.dumps(actual)[:200]}"
    return None


def apply_op(op, arg, actual, where):
    if op == "$exists":
        ok = (actual is not MISSING) == bool(arg)
        return None if ok else f"{where}: {'missing' if arg else 'present: ' + json.dumps(actual)[:200]}"
    if op == "$absent":
        ok = (actual is MISSING) == bool(arg)
        return None if ok else f"{where}: {'present: ' + json.dumps(actual)[:200] if arg else 'missing'}"
    if op == "$eq":
        return match(arg, actual, where)
    if op == "$ne":
        return None if match(arg, actual, where) is not None else f"{where}: must not be {json.dumps(arg)}"
    if op == "$icase":
        ok = isinstance(actual, str) and actual.lower() == str(arg).lower()
        return None if ok else f"{where}: expected {arg!r} (any case), got {json.dumps(actual)[:200] if actual is not MISSING else 'nothing'}"
    if op == "$in":
        return None if any(match(a, actual, where) is None for a in arg) else f"{where}: {json.dumps(actual)[:200] if actual is not MISSING else 'missing'} not in {json.dumps(arg)}"
    if op == "$len":
        n = 0 if actual is MISSING or actual is None else len(actual) if isinstance(actual, (list, dict, str)) else -1
        return None if n == arg else f"{where}: expected {arg} elements, got {n}: {json.dumps(actual)[:300] if actual is not MISSING else 'missing'}"
    if op == "$type":
        t = "missing" if actual is MISSING else type_name(actual)
        return None if t == arg else f"{where}: expected a {arg}, got {t}"
    if op == "$excludes":
        if actual is MISSING or actual is None:
            return None
        if isinstance(actual, list):
            hit = [a for a in actual if match(arg, a) is None]
            return None if not hit else f"{where}: must not hold {json.dumps(arg)[:200]}, but has {json.dumps(hit[0])[:200]}"
        return f"{where}: expected an array, got {json.dumps(actual)[:200]}"
    if op == "$contains":
        if isinstance(actual, str):
            return None if str(arg) in actual else f"{where}: {actual[:200]!r} does not contain {arg!r}"
        if isinstance(actual, list):
            return None if any(match(arg, a) is None for a in actual) else f"{where}: no element matches {json.dumps(arg)[:200]} in {json.dumps(actual)[:300]}"
        return f"{where}: cannot look for {json.dumps(arg)[:100]} in {json.dumps(actual)[:200] if actual is not MISSING else 'nothing'}"
    raise ValueError(f"unknown matcher {op}")


# ---- HTTP -----------------------------------------------------------------------------------

def encode_path(path):
    if "?" not in path:
        return urllib.parse.quote(path, safe="/%:@")
    p, q = path.split("?", 1)
    parts = []
    for item in q.split("&"):
        k, eq, v = item.partition("=")
        parts.append(urllib.parse.quote(k, safe="") + (eq + urllib.parse.quote(v, safe="") if eq else ""))
    return urllib.parse.quote(p, safe="/%:@") + "?" + "&".join(parts)


def send(base, method, path, headers, body_bytes):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    # Paths under /admin/ address the admin API at the server root; the rest are SCIM paths.
    prefix = "" if path.startswith("/admin/") else u.path.rstrip("/")
    full = prefix + encode_path(path)
    conn.request(method, full, body=body_bytes, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    hdrs = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, hdrs, data, full


# ---- the runner ---------------------------------------------------------------------------

def run_file(path, env0, suite, prefix):
    with open(path, encoding="utf-8") as f:
        case = json.load(f)
    stem = os.path.splitext(os.path.basename(path))[0]
    print(f"{prefix}/{stem}: {case.get('title', '')}", flush=True)
    env = dict(env0)
    names = set()
    try:
        for k, v in case.get("vars", {}).items():
            env[k] = substitute(v, env)
    except Undefined as e:
        suite.record(f"{prefix}:{stem}:vars", False, f"undefined variable ${{{e}}} in vars")
        return
    file_pending = case.get("pending")
    default_token = case.get("token")
    for n, step in enumerate(case["steps"], 1):
        name = step.get("name") or f"step {n}"
        if name in names:
            raise SystemExit(f"{path}: duplicate step name {name!r}")
        names.add(name)
        cid = f"{prefix}:{stem}:{name}"
        pending = step.get("pending") or file_pending
        if pending:
            suite.record(cid, False, f"pending: {pending}", pending=True)
            continue
        try:
            ok, detail = run_step(step, env, default_token)
        except Undefined as e:
            ok, detail = False, f"undefined variable ${{{e}}} (an earlier step did not capture it)"
        except (OSError, http.client.HTTPException) as e:
            ok, detail = False, f"request failed: {e}"
        suite.record(cid, ok, detail)


def run_step(step, env, default_token):
    method = step["method"].upper()
    path = substitute(step["path"], env)
    headers = {"Accept": "application/scim+json"}
    token = step.get("token", default_token)
    if token is not None:
        headers["Authorization"] = f"Bearer {env[f'token_{token}']}" if f"token_{token}" in env else None
        if headers["Authorization"] is None:
            raise Undefined(f"token_{token}")
    body_bytes = None
    if "raw" in step:
        body_bytes = substitute(step["raw"], env).encode()
    elif "body" in step:
        body_bytes = json.dumps(substitute(step["body"], env)).encode()
    if body_bytes is not None:
        headers["Content-Type"] = "application/scim+json"
    for k, v in substitute(step.get("headers", {}), env).items():
        for existing in [h for h in headers if h.lower() == k.lower()]:
            del headers[existing]
        if v is not None:
            headers[k] = v

    status, rh, data, sent = send(env["base"], method, path, headers, body_bytes)
    text = data.decode("utf-8", "replace")
    try:
        doc = json.loads(text) if text.strip() else MISSING
    except json.JSONDecodeError:
        doc = MISSING
    where = f"{method} {urllib.parse.unquote(sent)} -> {status}"
    excerpt = text[:400].replace("\n", " ")

    expect = substitute(step.get("expect", {}), env)
    want = expect.get("status")
    if want is not None:
        wants = want if isinstance(want, list) else [want]
        if status not in wants:
            return False, f"{where}: expected status {want}; body: {excerpt}"
    for hname, hexp in expect.get("headers", {}).items():
        actual = rh.get(hname.lower(), MISSING)
        err = match(hexp, actual, f"header {hname}")
        if err:
            return False, f"{where}: {err}"
    if "body" in expect:
        err = match(expect["body"], doc)
        if err:
            return False, f"{where}: body {err}; body: {excerpt}"
    for jp, jexp in expect.get("json", {}).items():
        err = match(jexp, json_path(doc, jp) if doc is not MISSING else MISSING, jp)
        if err:
            return False, f"{where}: {err}; body: {excerpt}"
    for var, spec in step.get("capture", {}).items():
        if isinstance(spec, dict) and "header" in spec:
            value = rh.get(spec["header"].lower(), MISSING)
        else:
            value = json_path(doc, spec) if doc is not MISSING else MISSING
        if value is MISSING:
            return False, f"{where}: nothing to capture at {spec} for ${{{var}}}; body: {excerpt}"
        env[var] = value
    return True, where


def main():
    ap = driver_parser()
    ap.add_argument("--suite", default="replay")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    env = load_vars(args.vars)
    files = []
    for p in args.paths:
        files += sorted(glob.glob(os.path.join(p, "*.json"))) if os.path.isdir(p) else [p]
    suite = Suite(args.suite, verbose=not args.quiet)
    for path in files:
        run_file(path, env, suite, args.suite)
    print(suite.summary_line())
    suite.write_summary(args.summary)
    return 1 if suite.failed else 0


if __name__ == "__main__":
    sys.exit(main())
