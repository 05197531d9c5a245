"""Shared by the conformance drivers: expected failures, outcome lines and suite summaries.

Every driver reports each check as one of:
  pass, fail, skip (not run, by the checker's own decision), pending (a case we wrote but
  the server cannot run yet), xfail (failed, and listed in conformance/expected-failures),
  xpass (listed there, but passed: the list is stale, which counts as a failure).
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load_expected_failures(path=None):
    """check id -> (rfc section, reason), from conformance/expected-failures."""
    path = path or os.path.join(HERE, "expected-failures")
    listed = {}
    if not os.path.exists(path):
        return listed
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) < 3 or not parts[0]:
                sys.exit(f"expected-failures: malformed line (want 'id | RFC section | reason'): {line}")
            listed[parts[0]] = (parts[1], parts[2])
    return listed


class Suite:
    """Collects outcomes of one suite and prints them as they come."""

    def __init__(self, name, expected=None, verbose=True):
        self.name = name
        self.expected = load_expected_failures() if expected is None else expected
        self.counts = {k: 0 for k in ("pass", "fail", "skip", "pending", "xfail", "xpass")}
        self.failures = []
        self.verbose = verbose

    def record(self, check_id, ok, detail="", skipped=False, pending=False):
        if pending:
            outcome = "pending"
        elif skipped:
            outcome = "skip"
        elif check_id in self.expected:
            outcome = "xpass" if ok else "xfail"
        else:
            outcome = "pass" if ok else "fail"
        self.counts[outcome] += 1
        label = {
            "pass": "PASS",
            "fail": "FAIL",
            "skip": "SKIP",
            "pending": "PENDING",
            "xfail": "XFAIL",
            "xpass": "XPASS",
        }[outcome]
        if outcome == "xfail":
            rfc, reason = self.expected[check_id]
            detail = f"expected failure ({rfc}: {reason}); {detail}"
        if outcome == "xpass":
            detail = "listed in conformance/expected-failures but passed: remove it from the list"
        if outcome in ("fail", "xpass"):
            self.failures.append((check_id, detail))
        if self.verbose or outcome not in ("pass",):
            line = f"  {label:7} {check_id}"
            if detail and outcome != "pass":
                line += f"  -- {detail}"
            print(line, flush=True)
        return outcome

    @property
    def passed(self):
        return self.counts["pass"] + self.counts["xfail"]

    @property
    def failed(self):
        return self.counts["fail"] + self.counts["xpass"]

    def summary_line(self):
        c = self.counts
        line = f"{self.name}: {self.passed} passed, {self.failed} failed, {c['skip']} skipped"
        if c["pending"]:
            line += f", {c['pending']} pending"
        if c["xfail"]:
            n = c["xfail"]
            line += f"; {n} expected failure{'s' if n > 1 else ''} counted as passed (see conformance/expected-failures)"
        return line

    def write_summary(self, path):
        if not path:
            return
        with open(path, "w", encoding="utf-8") as f:
            json.dump(
                {
                    "suite": self.name,
                    "passed": self.passed,
                    "failed": self.failed,
                    "counts": self.counts,
                    "line": self.summary_line(),
                    "failures": self.failures,
                },
                f,
                indent=2,
            )


def load_vars(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def driver_parser():
    """The options every driver takes, to which a driver adds its own: the run's variables
    (conformance/run writes them), where to write the summary, and quiet output."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--vars", required=True)
    ap.add_argument("--summary")
    ap.add_argument("--quiet", action="store_true", help="print only checks that do not pass")
    return ap
