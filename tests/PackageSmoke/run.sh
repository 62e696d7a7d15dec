#!/usr/bin/env bash
# Packs FastAttn.Engine and FastAttn.Plugin into a local folder feed, builds a fresh app outside the repository against
# them (no project references, no central package versions) and runs it: the packages alone must make it work,
# libstdc++ fix and built-in model included. Usage: tests/PackageSmoke/run.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
version="0.1.0-smoke.$(date +%s)"
for p in FastAttn.Engine FastAttn.Plugin; do
  dotnet pack "$repo/src/$p/$p.csproj" -c Release -o "$work/feed" -p:Version="$version" --nologo -v q
done
ls "$work/feed"
mkdir "$work/app"
cp "$repo/tests/PackageSmoke/PackageSmoke.csproj" "$repo/tests/PackageSmoke/Program.cs" "$work/app/"
cat > "$work/app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="local" value="$work/feed" />
  </packageSources>
</configuration>
XML
cd "$work/app"
dotnet build -c Release -p:FastAttnVersion="$version" --nologo -v q
dotnet bin/Release/net10.0/PackageSmoke.dll
