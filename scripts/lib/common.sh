# Shared by Formation's scripts. Source it; do not run it.
# shellcheck shell=bash

FORMATION_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export FORMATION_ROOT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs the calling script again as root (through sudo) unless it is root already. Usage: ensure_root "$0" "$@".
ensure_root() {
  [[ $(id -u) -eq 0 ]] && return
  command -v sudo >/dev/null 2>&1 || die "this needs root (image builds use namespaces and overlayfs mounts, VMs use TAP devices); run it as root"
  say "Running as root through sudo (image builds and VM networking need it)"
  exec sudo --preserve-env env PATH="$PATH" "$@"
}

# TAP devices (VM networking) need /dev/net/tun: loads the tun module, or makes the node, when it is missing.
ensure_tun() {
  [[ -c /dev/net/tun ]] && return
  modprobe tun 2>/dev/null || true
  if [[ ! -c /dev/net/tun ]]; then
    mkdir -p /dev/net && mknod -m 0666 /dev/net/tun c 10 200 2>/dev/null || true
  fi
  [[ -c /dev/net/tun ]] || say "warning: /dev/net/tun is missing and could not be made (modprobe tun; a container needs the device passed in); the VM networking tests will fail"
}

# Installs the Debian packages listed in scripts/apt-packages.txt that are missing.
ensure_apt_packages() {
  local list="$FORMATION_ROOT/scripts/apt-packages.txt" missing=() pkg
  while read -r pkg; do
    [[ -z "$pkg" || "$pkg" == \#* ]] && continue
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done <"$list"
  if ((${#missing[@]})); then
    say "Installing Debian packages: ${missing[*]}"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null \
      || die "apt-get update failed; check the machine's Debian sources"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null \
      || die "apt-get install ${missing[*]} failed"
  fi
}

# The .NET 10 SDK is not a Debian package; it must be on PATH (or in ~/.dotnet).
ensure_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1 && [[ -x "$HOME/.dotnet/dotnet" ]]; then
    export PATH="$HOME/.dotnet:$PATH"
  fi
  command -v dotnet >/dev/null 2>&1 || die "the .NET 10 SDK is missing. Install it (https://learn.microsoft.com/dotnet/core/install/linux-debian, or dotnet-install.sh --channel 10.0) and run this again."
  local major
  major=$(dotnet --version 2>/dev/null | cut -d. -f1)
  [[ "${major:-0}" -ge 10 ]] || die "the .NET SDK on PATH is $(dotnet --version); Formation needs 10.0 or newer."
}

# npm installs the browser libraries and the js test peers, each exactly as its package-lock.json pins them.
# Machines whose Node.js came from elsewhere already have npm; a plain Debian gets Debian's.
ensure_npm() {
  command -v npm >/dev/null 2>&1 && return
  say "Installing Debian packages: npm"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends npm >/dev/null \
    || die "apt-get install npm failed (the dashboard's terminal emulator and the libp2p test peers come from npm)"
}

# npm ci in DIR unless its node_modules is newer than its package-lock.json; WHAT names it in messages.
npm_ci_pinned() {
  local dir=$1 what=$2
  if [[ -f "$dir/node_modules/.package-lock.json" && "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]]; then
    return
  fi
  ensure_npm
  say "Installing $what (npm ci)"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci in $dir failed"
}

# The dashboard's terminal emulator (@xterm/xterm), exactly as pinned by Dashboard/package-lock.json.
ensure_dashboard_assets() {
  npm_ci_pinned "$FORMATION_ROOT/Dashboard" "the dashboard's browser libraries"
}

# The pinned js-libp2p peers the Formation.P2p interop tests and bench/P2p run against (Node.js >= 20).
ensure_js_test_peers() {
  npm_ci_pinned "$FORMATION_ROOT/tests/Formation.P2p.Tests/js" "the js-libp2p test peers"
}

# Builds the whole solution in Release (restores from NuGet as needed).
build_solution() {
  ensure_dashboard_assets
  say "Building Formation (Release)"
  dotnet build "$FORMATION_ROOT/Formation.sln" -c Release -nologo -v quiet -clp:ErrorsOnly \
    || die "the build failed (see the errors above)"
}

# True when $1 exists and no source (.cs, .csproj, .props) under the other arguments is newer than it.
fresh_against() {
  local target=$1
  shift
  [[ -x "$target" ]] && [[ -z "$(find "$@" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) -not -path '*/obj/*' \
    -not -path '*/bin/*' -newer "$target" -print -quit 2>/dev/null)" ]]
}

# Publishes the form CLI into artifacts/form: form, ahead-of-time compiled (ReadyToRun), starts in about half the
# time of the JIT build; form-fast (Cli.Fast, NativeAOT) answers `form vm create|delete` through a local silo's API
# socket in a few milliseconds of CPU and hands every other command to form (scripts/form runs it when it is fresh).
# form-fast is best effort (NativeAOT needs clang): without it scripts/form runs form.
publish_cli() {
  local out="$FORMATION_ROOT/artifacts/form" props=("$FORMATION_ROOT/Directory.Build.props" "$FORMATION_ROOT/Directory.Packages.props")
  if ! fresh_against "$out/form" "$FORMATION_ROOT/Cli" "$FORMATION_ROOT/Grains/Abstractions" "${props[@]}"; then
    say "Publishing the form CLI (ReadyToRun)"
    dotnet publish "$FORMATION_ROOT/Cli/Formation.Cli.csproj" -c Release -r linux-x64 --self-contained false \
      -p:PublishReadyToRun=true -o "$out" -nologo -v quiet -clp:ErrorsOnly >&2 || die "publishing the CLI failed"
    touch "$out/form" # an unchanged build is not copied again: mark it fresh
  fi
  if ! fresh_against "$out/form-fast" "$FORMATION_ROOT/Cli" "$FORMATION_ROOT/Cli.Fast" "$FORMATION_ROOT/Grains/Abstractions" "${props[@]}"; then
    say "Publishing form-fast (NativeAOT)"
    dotnet publish "$FORMATION_ROOT/Cli.Fast/Formation.Cli.Fast.csproj" -c Release -r linux-x64 -p:PublishAot=true \
      -o "$out" -nologo -v quiet -clp:ErrorsOnly >&2 \
      || { rm -f "$out/form-fast"; echo "note: NativeAOT publish of form-fast failed; scripts/form runs the full CLI" >&2; return 0; }
    touch "$out/form-fast"
  fi
}

# Publishes formation-vmm with NativeAOT into artifacts/vmm (about 11 MiB of VMM memory per VM instead of about 44
# MiB for the JIT build) and points the kvm driver at it. Best effort: without it the driver uses the JIT build.
publish_vmm() {
  local out="$FORMATION_ROOT/artifacts/vmm"
  # Sources and project files (a csproj decides the framework and packages the VMM is compiled with) trigger a republish.
  if [[ ! -x "$out/formation-vmm" ]] || [[ -n "$(find "$FORMATION_ROOT/Kvm.Native" "$FORMATION_ROOT/Directory.Build.props" \
      "$FORMATION_ROOT/Directory.Packages.props" \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' \) \
      -not -path '*/obj/*' -not -path '*/bin/*' -newer "$out/formation-vmm" -print -quit)" ]]; then
    say "Publishing formation-vmm (NativeAOT)"
    dotnet publish "$FORMATION_ROOT/Kvm.Native/Vmm/Formation.Vmm.csproj" -c Release -r linux-x64 -p:PublishAot=true \
      -o "$out" -nologo -v quiet -clp:ErrorsOnly >&2 || { echo "note: NativeAOT publish of formation-vmm failed; using the JIT build" >&2; return 0; }
  fi
  export Formation__Kvm__Binary="$out/formation-vmm"
}

# Builds the Formation guest kernel once per machine (cached; ~5 min the first time).
ensure_guest_agent() {
  "$FORMATION_ROOT/scripts/build-guest-agent" >/dev/null || die "building the guest agent failed (scripts/build-guest-agent)"
}

ensure_guest_kernel() {
  local script="$FORMATION_ROOT/scripts/build-guest-kernel"
  if ! "$script" --check >/dev/null 2>&1; then
    say "Building the Formation guest kernel (once per machine; about 5-10 minutes)"
  fi
  "$script" >/dev/null || die "building the guest kernel failed (scripts/build-guest-kernel)"
}
