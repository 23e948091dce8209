#!/usr/bin/env bash
# `cmake --install` puts the binary, every man page and the three completions where Debian
# expects them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

build_dir=$(dirname "$WARD")
prefix=$T/prefix
cmake --install "$build_dir" --prefix "$prefix" >/dev/null || fail "cmake --install failed"

[[ -x $prefix/bin/ward ]] || fail "bin/ward not installed"
"$prefix/bin/ward" --version | grep -q '^ward ' || fail "installed ward does not run"
for page in "$WARD_SOURCE_DIR"/man/*.1; do
  [[ -f $prefix/share/man/man1/$(basename "$page") ]] || fail "man page $(basename "$page") not installed"
done
[[ -f $prefix/share/man/man5/ward-store.5 ]] || fail "ward-store(5) not installed"
[[ -f $prefix/share/bash-completion/completions/ward ]] || fail "bash completion not installed"
[[ -f $prefix/share/zsh/vendor-completions/_ward ]] || fail "zsh completion not installed"
[[ -f $prefix/share/fish/vendor_completions.d/ward.fish ]] || fail "fish completion not installed"
echo "install: ok"
