#!/usr/bin/env bash
# Runs every test of Drechtsteden.Decisions. On a fresh Debian machine it first installs what is missing
# (PostgreSQL server binaries, jq, Chromium for the browser tests, npm for the front-end packages the build
# installs). CI runs exactly this (.ci/run).
set -euo pipefail
cd "$(dirname "$0")"

missing=()
if ! command -v initdb >/dev/null 2>&1 && ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  missing+=(postgresql)
fi
command -v jq >/dev/null 2>&1 || missing+=(jq) # the documented offline audit check is run by a test
[ -x /usr/bin/chromium ] || missing+=(chromium) # Playwright drives Debian's Chromium, never a downloaded one
command -v npm >/dev/null 2>&1 || missing+=(npm) # the build runs `npm ci` for NL Design System CSS, htmx and mermaid
if ((${#missing[@]})); then
  echo "Installing ${missing[*]} from Debian's packages..."
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
dotnet tool restore >/dev/null
dotnet build Drechtsteden.Decisions.sln -c Release -nologo -clp:ErrorsOnly

results="TestResults"
rm -rf "$results"
status=0
dotnet test Drechtsteden.Decisions.sln -c Release --no-build --results-directory "$results" \
  --logger "trx" --logger "console;verbosity=minimal" || status=$?

# One closing line for people and CI: the totals over every test project.
passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [ -e "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  value() { printf '%s' "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*'; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed)))
  skipped=$((skipped + $(value notExecuted)))
done
if [ -f "$results/reliability.txt" ]; then
  echo "Reliability (fault tests):"
  sed 's/^/  /' "$results/reliability.txt"
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$passed" -eq 0 ] && [ "$status" -eq 0 ]; then
  echo "No test ran." >&2
  exit 1
fi
exit "$status"
