#!/usr/bin/env bash
# Packs what bench/gpu/run.sh needs on a GPU machine that has no JDK and no network: a jlink'ed
# Java runtime, the xent-core classes and test classes, their test dependencies, the JUnit
# console launcher, and the command-line jar (for the comparisons with PyTorch). Run it here (a machine with Maven, network and a JDK >= 22); it writes
# bench/gpu/bundle/ (git-ignored), which the GPU call carries along.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bundle="$root/bench/gpu/bundle"
junit_console=org.junit.platform:junit-platform-console-standalone:1.11.4

jdk=
for dir in "${JAVA_HOME:-}" /usr/lib/jvm/*; do
    [ -x "$dir/bin/jlink" ] || continue
    v=$("$dir/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
    [ -n "$v" ] && [ "$v" -ge 22 ] && { jdk=$dir; break; }
done
[ -n "$jdk" ] || { echo "bundle.sh: no JDK >= 22 with jlink found" >&2; exit 1; }

rm -rf "$bundle"
mkdir -p "$bundle/lib"
cd "$root"
mvn -q -B -DskipTests -Dxent.native.skip=true -pl java/core -am install
mvn -q -B -Dxent.native.skip=true -pl java/core test-compile
mvn -q -B -DskipTests -Dxent.native.skip=true package
cp java/cli/target/xent-cli.jar "$bundle/"
mvn -q -B -pl java/core dependency:copy-dependencies -DincludeScope=test -DoutputDirectory="$bundle/lib"
mvn -q -B dependency:copy -Dartifact="$junit_console" -DoutputDirectory="$bundle" -Dmdep.stripVersion=true
cp -r java/core/target/classes "$bundle/classes"
cp -r java/core/target/test-classes "$bundle/test-classes"
# The GPU machine builds its own native libraries; do not carry the ones built here.
rm -rf "$bundle/classes/native"

"$jdk/bin/jlink" --add-modules java.base,java.logging,java.management,java.xml,jdk.incubator.vector,jdk.unsupported \
    --strip-debug --no-header-files --no-man-pages --compress=zip-6 --output "$bundle/jre"
du -sh "$bundle"
