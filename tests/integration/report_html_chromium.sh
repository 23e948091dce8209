#!/usr/bin/env bash
# The HTML audit report in a real browser: headless Chromium (Debian's `chromium`) loads the
# self-contained file with networking off, logs no console error (a script, a blocked fetch or a
# CSP violation would be one), and the rendered DOM holds every section and its charts. A
# screenshot is kept for a person to look at: $WARD_ARTIFACTS/report.png when that is set.
# A copy of the page with a planted console error proves the console check can fail.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"
require_cmd chromium jq

secret() { printf 'Vq8#rT2m!Lz5%s-Kp9' "$1"; }

new_store
expect_exit 0 "$WARD" cred add db --type postgres --field host=127.0.0.1 --secret-stdin \
  --rotate-every 90d < <(secret a)
expect_exit 0 env FAKETIME_DONT_FAKE_MONOTONIC=1 faketime -f -20d "$WARD" cred add api \
  --type api-key --secret-stdin --rotate-every 14d < <(secret b)
mkdir -p "$T/data" && echo payload >"$T/data/f"
expect_exit 0 "$WARD" backup create --source files "$T/data"
expect_exit 0 "$WARD" audit checkpoint
expect_exit 0 "$WARD" audit report --format html --out "$T/report.html"

# chrome PAGE OUT: dump the DOM of PAGE to OUT, the browser's log to OUT.log.
chrome() {
  local profile
  profile=$(mktemp -d "$T/chrome.XXXXXX")
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 --dump-dom "file://$1" >"$2" 2>"$2.log" ||
    fail "chromium could not load $1: $(tail -5 "$2.log")"
}
# console_errors LOG: the console messages and load failures Chromium logged.
console_errors() { grep -E 'CONSOLE|Uncaught|Refused to|ERR_' "$1" || true; }

chrome "$T/report.html" "$T/dom.html"
errors=$(console_errors "$T/dom.html.log")
[[ -z $errors ]] || fail "console errors while loading the report: $errors"
dom=$(cat "$T/dom.html")
for section in findings credentials keys checks backups redaction audit; do
  assert_contains "$dom" "<section id=\"$section\">"
done
assert_contains "$dom" "<h2>Credentials</h2>"
assert_contains "$dom" "<h2>Audit integrity</h2>"
assert_contains "$dom" 'aria-label="Audited actions per day"'
assert_contains "$dom" 'aria-label="Findings by severity"'
assert_contains "$dom" ">api<"          # the overdue credential is listed…
assert_contains "$dom" 'class="overdue"' # …as overdue
assert_contains "$dom" "No data: no stored check results"

# The console check catches a real error: the same page with a script that logs one.
sed 's|</body>|<script>console.error("planted report error")</script></body>|' \
  "$T/report.html" | sed 's|default-src .none.;|script-src '"'"'unsafe-inline'"'"';|' >"$T/bad.html"
chrome "$T/bad.html" "$T/bad-dom.html"
assert_contains "$(console_errors "$T/bad-dom.html.log")" "planted report error"

# A screenshot for a person (printable layout, whole page).
shots=${WARD_ARTIFACTS:-$T}
mkdir -p "$shots"
timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d "$T/chrome.XXXXXX")" \
  --hide-scrollbars --window-size=1280,2400 --screenshot="$shots/report.png" "file://$T/report.html" \
  >/dev/null 2>"$T/shot.log" || fail "chromium screenshot failed: $(tail -5 "$T/shot.log")"
[[ -s $shots/report.png ]] || fail "no screenshot written"
assert_eq "$(head -c 8 "$shots/report.png" | od -An -tx1 | tr -d ' ')" "89504e470d0a1a0a"
echo "report_html_chromium: ok (screenshot $shots/report.png)"
