"""Accessibility and small-screen checks the browser tests run on a page as it stands.

axe-core (vendored from npm in tests/vendor/axe-core/, never served by the app) is evaluated in
the page through the DevTools protocol, which the page's Content-Security-Policy does not
govern: the app's CSP stays as strict as in production while axe runs. A page passes when axe
finds no violation of WCAG 2.2 A/AA or of its best practices — serious and critical ones
first in the message, each with its rule, impact, help and the elements it found.

`layout_problems` adds what axe does not measure: at any width, a phone's 390 px included,
the page itself must not scroll sideways (a wide table scrolls inside its own wrapper), and
every control is at least 24 × 24 CSS px (WCAG 2.2 AA, 2.5.8). Links inside running text are
left to axe's `target-size` rule, which applies the criterion's spacing and inline exceptions.
"""

from functools import cache
from pathlib import Path

AXE_SOURCE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe-4.14.1.min.js"
BLOCKING_FIRST = ("critical", "serious", "moderate", "minor")
RUN_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    # Off by default in axe 4: the 24 px target size of WCAG 2.2 AA.
    "rules": {"target-size": {"enabled": True}},
    "resultTypes": ["violations"],
}
MIN_TARGET = 24

LAYOUT_SCRIPT = """(minTarget) => {
  const viewport = document.documentElement.clientWidth;
  const scrollWidth = document.scrollingElement.scrollWidth;
  const found = { scrollWidth, viewport, wide: [], small: [] };
  const describe = (el) => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += "#" + el.id;
    else if (typeof el.className === "string" && el.className.trim()) {
      name += "." + el.className.trim().split(/\\s+/).join(".");
    }
    const label = el.innerText || el.value || el.getAttribute("aria-label") || "";
    const text = label.trim().slice(0, 40);
    return text ? `${name} "${text}"` : name;
  };
  const scrollsItself = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (overflow === "auto" || overflow === "scroll" || overflow === "hidden") return true;
    }
    return false;
  };
  if (found.scrollWidth > viewport) {
    for (const el of document.body.querySelectorAll("*")) {
      const box = el.getBoundingClientRect();
      if (box.right > viewport + 1 && box.width && !scrollsItself(el)) {
        found.wide.push(`${describe(el)} ends at ${Math.round(box.right)} px`);
        if (found.wide.length >= 8) break;
      }
    }
  }
  const controls = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, '
    + '[tabindex]:not([tabindex="-1"])';
  for (const el of document.querySelectorAll(controls)) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (box.width <= 1 || box.height <= 1 || style.visibility === "hidden") continue;  // not shown
    if (el.tagName === "A" && style.display === "inline") continue;  // a link in text: axe's rule
    if (box.width < minTarget - 0.5 || box.height < minTarget - 0.5) {
      found.small.push(`${describe(el)} is ${box.width.toFixed(1)} × ${box.height.toFixed(1)} px`);
    }
  }
  return found;
}"""


@cache
def _axe_source():
    return AXE_SOURCE.read_text()


def axe_violations(page):
    """axe's violations on the page as it is now, the most severe first."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source())
    results = page.evaluate("(options) => window.axe.run(document, options)", RUN_OPTIONS)
    return sorted(results["violations"], key=lambda v: BLOCKING_FIRST.index(v["impact"]))


def describe_violations(violations):
    lines = []
    for violation in violations:
        lines.append(
            f"  {violation['id']} ({violation['impact']}): {violation['help']} "
            f"— {len(violation['nodes'])} element(s)"
        )
        for node in violation["nodes"][:6]:
            summary = " ".join(node.get("failureSummary", "").split())[:220]
            lines.append(f"      {' > '.join(map(str, node['target']))}: {summary}")
    return "\n".join(lines)


def layout_problems(page):
    """Sideways scrolling of the page and controls under 24 × 24 px."""
    found = page.evaluate(LAYOUT_SCRIPT, MIN_TARGET)
    problems = []
    if found["scrollWidth"] > found["viewport"]:
        problems.append(
            f"  the page scrolls sideways: {found['scrollWidth']} px wide in a "
            f"{found['viewport']} px viewport; too wide: "
            + ("; ".join(found["wide"]) or "an absolutely placed element inside a scroller")
        )
    if found["small"]:
        problems.append(
            f"  controls under {MIN_TARGET} × {MIN_TARGET} px: " + "; ".join(found["small"][:10])
        )
    return problems


def page_problems(page):
    """Everything the checks above find on the page, as lines of a failure message."""
    problems = layout_problems(page)
    violations = axe_violations(page)
    if violations:
        problems.insert(0, describe_violations(violations))
    return problems


def assert_accessible(page):
    """Fail with every axe violation and layout problem of the page as it is now."""
    problems = page_problems(page)
    assert problems == [], f"{page.url} at {page.viewport_size['width']} px:\n" + "\n".join(
        problems
    )
