"""The scanner run behind `make security`: the demo on 127.0.0.1, sqlmap and wapiti, a summary.

1. A private SQLite demo database (migrate + seed_demo) in var/security/, served by gunicorn on a
   free local port with the local settings and DEBUG off.
2. Sign in as the demo's sponsor admin (alice) for a session cookie.
3. sqlmap (--batch --level 2 --risk 1) on the main GET and POST endpoints, each bounded in time;
   POSTs fetch a fresh CSRF token from their page for every request.
4. wapiti with the same cookie, scope limited to the server's own address, bounded in time;
   sign-out, password and two-factor pages and the sign-in rules are left out, so that the
   crawl neither ends its own session nor locks itself out.
5. Stop the server by its pid, summarise every finding into var/security-report.txt, print it.

Only 127.0.0.1 is ever contacted: the wapiti modules that call out to an external endpoint
(ssrf, xxe, log4shell, spring4shell) or fetch databases (wapp, htp, nikto) are not run.
"""

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess  # noqa: S404 - runs our own tools with fixed arguments
import sys
import time
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "security"
REPORT = ROOT / "var" / "security-report.txt"
PYTHON = ROOT / ".venv" / "bin" / "python"
SLUG = "helix-bio"
USER, PASSWORD = "alice", "helix-demo-2026"  # the demo's sponsor admin, printed in the README
SQLMAP_SECONDS = int(os.environ.get("SQLMAP_SECONDS", "45"))  # per tested parameter
WAPITI_SECONDS = int(os.environ.get("WAPITI_SECONDS", "150"))  # the crawl
WAPITI_ATTACK_SECONDS = int(os.environ.get("WAPITI_ATTACK_SECONDS", "25"))  # per module
WAPITI_MODULES = (
    "sql,timesql,xss,permanentxss,exec,file,crlf,redirect,csrf,http_headers,cookieflags,csp,"
    "methods,htaccess,upload,backup,ldap,shellshock"
)


def server_env():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="cdmo_portal.settings.local",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1",
        SQLITE_PATH=str(WORK / "demo.sqlite3"),
        SECRET_KEY=secrets.token_urlsafe(50),
        LOG_LEVEL="WARNING",
    )
    return env


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(args, **kwargs):
    return subprocess.run(args, check=True, **kwargs)  # noqa: S603 - fixed arguments


def demo_ids(env):
    """The ids the targets need, read from the demo database."""
    code = (
        "import json; from engagements.models import *; "
        f"s = Sponsor.objects.get(slug='{SLUG}'); "
        "print(json.dumps({'project': Project.objects.filter(sponsor=s).first().pk, "
        "'request': Request.objects.filter(sponsor=s, status='open').first().pk, "
        "'communication': Communication.objects.filter(sponsor=s).first().pk, "
        "'cdmo': CDMO.objects.filter(sponsor=s).first().pk}))"
    )
    out = run(
        [PYTHON, "manage.py", "shell", "-v0", "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def start_server(env, port):
    log = open(WORK / "server.log", "w")  # noqa: SIM115 - closed by the caller's exit
    server = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            ROOT / ".venv" / "bin" / "gunicorn",
            "cdmo_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "60",
            "--access-logfile",
            str(WORK / "access.log"),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)  # noqa: S310
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("the server did not start; see var/security/server.log")


def sign_in(base):
    """A session cookie of the demo admin, signed in through the real form."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode(
        {"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": token}
    ).encode()
    opener.open(f"{base}/accounts/login/", data)
    cookies = {cookie.name: cookie.value for cookie in jar}
    assert "sessionid" in cookies, "sign-in failed"
    return "; ".join(f"{name}={value}" for name, value in sorted(cookies.items()))


def sqlmap_targets(base, ids):
    """(name, URL, POST data or None, page holding the form's CSRF token)."""
    s = f"{base}/s/{SLUG}"
    project = f"{s}/projects/{ids['project']}/"
    request = f"{s}/requests/{ids['request']}/"
    return [
        (
            "timeline filters (GET)",
            f"{project}?q=batch&channel=email&direction=outbound&since=2026-01-01"
            "&until=2026-12-31&before=2026-06-01T10:00:00%2B00:00_99",
            None,
            None,
        ),
        ("open requests (GET)", f"{s}/requests/?state=due_soon&hours=24&mine=1", None, None),
        ("CDMO list, and the session cookies (GET)", f"{s}/cdmos/?status=active", None, None),
        (
            "attainment report (GET)",
            f"{s}/attainment/?period=custom&start=2026-01-01&end=2026-06-30&group=cdmo",
            None,
            None,
        ),
        (
            "audit trail, ids in the path (GET)",
            f"{s}/history/communication*/{ids['communication']}*/",
            None,
            None,
        ),
        (
            "log a communication (POST)",
            project,
            "channel=email&direction=outbound&occurred_at=2026-06-01T10:00&subject=Scan"
            "&summary=Batch+record&request_category=question&request_priority=normal",
            project,
        ),
        (
            "new CDMO (POST)",
            f"{s}/cdmos/new/",
            "name=Scan+Biologics&status=active&website=&email_domains=scan.example"
            "&modalities=mAbs&services=&notes=",
            f"{s}/cdmos/new/",
        ),
        (
            "pause a request (POST)",
            f"{request}pause/",
            "reason_category=information&reason=Waiting+for+our+QA&at=",
            request,
        ),
        (
            "business calendar (POST)",
            f"{s}/settings/calendars/new/",
            "name=Scan+hours&time_zone=Europe%2FBerlin&country=DE&subdivision=BE"
            "&day_0=09%3A00-17%3A00&closed_dates_text=2026-12-24",
            f"{s}/settings/calendars/new/",
        ),
        (
            "sign-in form, no session (POST)",
            f"{base}/accounts/login/",
            "username=maria&password=wrong-password-1",
            f"{base}/accounts/login/",
        ),
    ]


def run_sqlmap(scanners, cookie, target, index):
    name, url, data, csrf_page = target
    args = [
        scanners / "sqlmap",
        "-u",
        url,
        "--batch",
        "--level",
        "2",
        "--risk",
        "1",
        "--time-sec",
        "2",
        "--text-only",  # pages differ by their masked CSRF tokens: compare the text
        "--disable-coloring",
        "--flush-session",
        "--output-dir",
        str(WORK / "sqlmap"),
    ]
    if "no session" not in name:
        args += ["--cookie", cookie, "--drop-set-cookie"]
    parameters = len(
        urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)
    ) + url.count("*")
    parameters += len(urllib.parse.parse_qs(data or "", keep_blank_values=True))
    if "cookies" in name:  # level 2 tests the cookies too: the session cookie, on one target
        parameters += 2
    else:
        args += ["--skip", "sessionid,csrftoken"]
    if data:
        args += ["--data", f"csrfmiddlewaretoken=-&{data}", "--csrf-token", "csrfmiddlewaretoken"]
        args += ["--csrf-url", csrf_page]
    log = WORK / f"sqlmap-{index:02d}.log"
    started = time.monotonic()
    with open(log, "w") as out:
        try:
            subprocess.run(  # noqa: S603 - fixed arguments
                args,
                stdout=out,
                stderr=subprocess.STDOUT,
                # A POST costs two requests: its page for a fresh CSRF token, then the form.
                timeout=30 + SQLMAP_SECONDS * parameters * (2 if data else 1),
                check=False,
            )
            stopped = False
        except subprocess.TimeoutExpired:
            stopped = True
    return {
        "name": name,
        "log": log,
        "seconds": round(time.monotonic() - started),
        "stopped": stopped,
    }


def read_sqlmap(result):
    """Per parameter: cleared ("does not seem to be injectable"), flagged, or not finished."""
    text = result["log"].read_text(errors="replace")
    tested = re.findall(r"testing if (\S+ parameter '[^']+') is dynamic", text)
    tested += re.findall(r"testing for SQL injection on (\S+ parameter '[^']+')", text)
    cleared = set(re.findall(r"(\S+ parameter '[^']+') does not seem to be injectable", text))
    flagged = set(
        re.findall(r"(\S+ parameter '[^']+') (?:is|appears to be) '?[^\n]*injectable", text)
    )
    flagged |= set(re.findall(r"Parameter: ([^\n]+) \(", text))
    flagged -= cleared
    pending = [p for p in dict.fromkeys(tested) if p not in cleared and p not in flagged]
    return {
        **result,
        "cleared": sorted(cleared),
        "flagged": sorted(flagged),
        "pending": pending,
        "none_injectable": "all tested parameters do not appear to be injectable" in text,
    }


def run_wapiti(scanners, base, cookie):
    report = WORK / "wapiti.json"
    args = [
        scanners / "wapiti",
        "-u",
        f"{base}/",
        "-s",
        f"{base}/s/{SLUG}/",
        "--scope",
        "folder",
        "-C",
        cookie,
        "-m",
        WAPITI_MODULES,
        "--max-scan-time",
        str(WAPITI_SECONDS),
        "--max-attack-time",
        str(WAPITI_ATTACK_SECONDS),
        "--max-links-per-page",
        "60",
        "--max-files-per-dir",
        "40",
        # Timeline cursors and CSV variants are endless copies of pages already crawled.
        "-r",
        "before",
        "-r",
        "format",
        "--tasks",
        "8",
        "-t",
        "20",
        # Nothing outside this machine: endpoints of the modules that would call out, local.
        "--endpoint",
        f"{base}/",
        "--dns-endpoint",
        "localhost",
        "--flush-session",
        "--store-session",
        str(WORK / "wapiti-session"),
        "--no-bugreport",
        "-f",
        "json",
        "-o",
        str(report),
        "-v",
        "1",
    ]
    for excluded in (
        "/accounts/logout/",
        "/accounts/password/*",
        "/accounts/two-factor/*",
        f"/s/{SLUG}/security/",
        "/admin/logout/",
    ):
        args += ["-x", f"{base}{excluded}"]
    started = time.monotonic()
    limit = WAPITI_SECONDS + WAPITI_ATTACK_SECONDS * (WAPITI_MODULES.count(",") + 1) + 300
    with open(WORK / "wapiti.log", "w") as out:
        try:
            subprocess.run(  # noqa: S603 - fixed arguments
                args, stdout=out, stderr=subprocess.STDOUT, timeout=limit, check=False
            )
        except subprocess.TimeoutExpired:
            out.write(f"\nstopped by scripts/security after {limit} s\n")
    return report, round(time.monotonic() - started)


LEVELS = {0: "info", 1: "low", 2: "medium", 3: "high", 4: "critical"}


def read_wapiti(report):
    """(category, level, method, path, parameter, info) of every finding and anomaly."""
    if not report.exists():
        return None, []
    data = json.loads(report.read_text())
    findings = []
    for section in ("vulnerabilities", "anomalies", "additionals"):
        for category, items in data.get(section, {}).items():
            for item in items:
                findings.append(
                    (
                        f"{section}: {category}",
                        LEVELS.get(item.get("level"), str(item.get("level"))),
                        item.get("method", ""),
                        item.get("path", ""),
                        item.get("parameter", ""),
                        " ".join(str(item.get("info", "")).split())[:160],
                    )
                )
    return data.get("infos", {}), findings


def server_errors():
    """Every 5xx the server answered during the scans, from gunicorn's access log."""
    statuses, errors = Counter(), Counter()
    for line in (WORK / "access.log").read_text(errors="replace").splitlines():
        match = re.search(r'"(\w+) (\S+) [^"]*" (\d{3}) ', line)
        if match:
            method, path, status = match.groups()
            statuses[status[0] + "xx"] += 1
            if status.startswith("5"):
                errors[(method, path.split("?")[0], status)] += 1
    return statuses, errors


def summary(sqlmap_results, wapiti_report, wapiti_seconds):
    lines = [
        "CDMO Portal — scanner run (make security)",
        f"target: the demo on 127.0.0.1 (SQLite, DEBUG off), signed in as {USER} (sponsor admin)",
        "",
        f"sqlmap 1.10.10 --batch --level 2 --risk 1, at most 30 s + {SQLMAP_SECONDS} s per "
        "tested parameter for each target (twice that for a POST)",
    ]
    injectable = 0
    for result in sqlmap_results:
        verdict = (
            "INJECTABLE: " + ", ".join(result["flagged"])
            if result["flagged"]
            else "no injectable parameter"
        )
        injectable += len(result["flagged"])
        lines.append(f"- {result['name']}: {verdict} ({result['seconds']} s)")
        lines.append(f"    cleared: {', '.join(result['cleared']) or '-'}")
        if result["pending"]:
            lines.append(f"    not finished in the time limit: {', '.join(result['pending'])}")
    infos, findings = read_wapiti(wapiti_report)
    lines += [
        "",
        f"wapiti 3.2.3, modules {WAPITI_MODULES}",
        f"crawl ≤ {WAPITI_SECONDS} s, each module ≤ {WAPITI_ATTACK_SECONDS} s; "
        f"took {wapiti_seconds} s",
    ]
    if infos is None:
        lines.append("- no report (see var/security/wapiti.log)")
    else:
        counts = Counter((category, level) for category, level, *_ in findings)
        lines.append(f"- {len(findings)} findings and anomalies")
        for (category, level), count in sorted(counts.items()):
            lines.append(f"  {count:4d} × {category} [{level}]")
        for category, level, method, path, parameter, info in findings:
            lines.append(f"    {level}: {category} {method} {path} {parameter} — {info}")
    statuses, errors = server_errors()
    lines += ["", f"server answers during the scans: {dict(sorted(statuses.items()))}"]
    for (method, path, status), count in sorted(errors.items()):
        lines.append(f"- {status} {method} {path} × {count}")
    medium_or_above = [f for f in findings if f[1] in ("medium", "high", "critical")]
    lines += [
        "",
        f"injectable parameters: {injectable}; wapiti findings of medium or above: "
        f"{len(medium_or_above)}; 5xx answers: {sum(errors.values())} "
        "(triage: README, Security)",
    ]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scanners", type=Path, required=True, help="bin/ of the scanners")
    options = parser.parse_args()
    shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True)
    env = server_env()
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT)
    run([PYTHON, "manage.py", "seed_demo"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    ids = demo_ids(env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(env, port)
    print(f"demo served by gunicorn (pid {server.pid}) on {base}", flush=True)
    try:
        # Both sessions first: the sign-in target's wrong passwords lock this address out.
        cookie, wapiti_cookie = sign_in(base), sign_in(base)
        results = []
        targets = sqlmap_targets(base, ids)
        for index, target in enumerate(targets, start=1):
            print(f"sqlmap {index}/{len(targets)}: {target[0]}", flush=True)
            results.append(read_sqlmap(run_sqlmap(options.scanners, cookie, target, index)))
        print(f"wapiti: crawling and attacking for at most {WAPITI_SECONDS} s", flush=True)
        wapiti_report, wapiti_seconds = run_wapiti(options.scanners, base, wapiti_cookie)
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    REPORT.write_text(summary(results, wapiti_report, wapiti_seconds))
    print(REPORT.read_text())


if __name__ == "__main__":
    main()
