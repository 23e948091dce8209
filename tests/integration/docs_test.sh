#!/usr/bin/env bash
# The documentation matches the binary: every command group, subcommand and long option that
# `ward --help` and `ward GROUP [SUB] --help` list has a man page that shows it and completions
# (bash, zsh, fish) that name it; every man page lints cleanly; every completion script parses.
#
# Groups and subcommands are read from CLI11's help output, which lists them under a
# "Subcommands:" heading, one per line, indented two spaces:
#
#   Subcommands:
#     init                        create a store and its master key
#     key                         key status, rotation, rewrapping and unlock entries
source "$(dirname "${BASH_SOURCE[0]}")/lib.bash"

require_cmd mandoc zsh fish awk
SRC=$WARD_SOURCE_DIR
MAN=$SRC/man
COMP=$SRC/completions

# subcommands_in_help: names listed under "Subcommands:" in CLI11 help text on stdin. A
# description too long for its column continues on deeper-indented lines, which are skipped.
subcommands_in_help() {
  awk '
    /^[^ \t]/ { in_section = ($0 ~ /^Subcommands:[ \t]*$/); next }
    in_section && /^  [^ \t]/ { print $1 }
  '
}

# long_options_in_help: the long options (--name) listed under "Options:", except --help.
long_options_in_help() {
  awk '
    /^[^ \t]/ { in_section = ($0 ~ /^Options:[ \t]*$/); next }
    in_section && /^  [^ \t]/ { print $1 }
  ' | tr ',' '\n' | grep -E '^--[A-Za-z0-9][A-Za-z0-9-]*$' | grep -vx -- '--help' || true
}

# commands_of GROUP: the group itself and each "GROUP SUB", one per line.
commands_of() {
  local sub
  printf '%s\n' "$1"
  for sub in ${subs_of[$1]}; do printf '%s %s\n' "$1" "$sub"; done
}

# render PAGE: the man page as plain text on one long line per paragraph, no overstrike.
render() {
  mandoc -T ascii -O width=1000 "$1" | sed $'s/.\b//g' | tr -s ' \t' ' '
}

# names_word FILE WORD: FILE contains WORD delimited by characters that cannot be part of a
# command name, so `rotate` is not satisfied by `rotate-every`.
names_word() {
  grep -Eq -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" "$1"
}

# names_flag FILE --FLAG: the completion file offers --FLAG (fish spells it `-l FLAG`).
names_flag() {
  if [[ $1 == *.fish ]]; then names_word "$1" "-l ${2#--}"; else names_word "$1" "$2"; fi
}

problems=()
problem() { problems+=("$*"); }

# --- what the binary offers -------------------------------------------------------------
expect_exit 0 "$WARD" --help
mapfile -t groups < <(subcommands_in_help <<<"$OUT")
((${#groups[@]} > 0)) || fail "'ward --help' lists no subcommands under 'Subcommands:':
$OUT"

declare -A subs_of=() flags_of=()
for group in "${groups[@]}"; do
  expect_exit 0 "$WARD" "$group" --help
  subs_of[$group]=$(subcommands_in_help <<<"$OUT" | tr '\n' ' ')
  flags_of[$group]=$(long_options_in_help <<<"$OUT" | tr '\n' ' ')
  for sub in ${subs_of[$group]}; do
    expect_exit 0 "$WARD" "$group" "$sub" --help
    flags_of[$group $sub]=$(long_options_in_help <<<"$OUT" | tr '\n' ' ')
  done
done

echo "groups: ${groups[*]}"
for group in "${groups[@]}"; do echo "  $group: ${subs_of[$group]}"; done

# --- man pages --------------------------------------------------------------------------
[[ -f $MAN/ward.1 ]] || fail "man/ward.1 is missing"
main_page=$(render "$MAN/ward.1")
for group in "${groups[@]}"; do
  page=$MAN/ward-$group.1
  if [[ ! -f $page ]]; then
    problem "group '$group' has no man page man/ward-$group.1"
  else
    text=$(render "$page")
    for sub in ${subs_of[$group]}; do
      [[ $text =~ ward\ $group\ $sub([^A-Za-z0-9_-]|$) ]] ||
        problem "man/ward-$group.1 does not show 'ward $group $sub'"
    done
    while IFS= read -r command; do
      for flag in ${flags_of[$command]}; do
        [[ $text =~ $flag([^A-Za-z0-9_-]|$) ]] ||
          problem "man/ward-$group.1 does not document '${command} $flag'"
      done
    done < <(commands_of "$group")
  fi
  [[ $main_page =~ ward\ $group([^A-Za-z0-9_-]|$) ]] ||
    problem "man/ward.1 does not show 'ward $group'"
  [[ $main_page == *"ward-$group(1)"* ]] ||
    problem "man/ward.1 does not refer to ward-$group(1)"
done

shopt -s nullglob
pages=("$MAN"/*.[1-8])
((${#pages[@]} > 0)) || fail "no man pages under man/"
for page in "${pages[@]}"; do
  if ! lint=$(mandoc -T lint -W warning "$page" 2>&1) || [[ -n $lint ]]; then
    problem "mandoc -T lint -W warning ${page#"$SRC"/}:
$lint"
  fi
done

# --- completions: present, parse, and name every group and subcommand -----------------
completion_files=("$COMP/ward.bash" "$COMP/_ward" "$COMP/ward.fish")
for file in "${completion_files[@]}"; do
  [[ -f $file ]] || fail "completion file ${file#"$SRC"/} is missing"
  for group in "${groups[@]}"; do
    names_word "$file" "$group" || problem "${file#"$SRC"/} does not name group '$group'"
    for sub in ${subs_of[$group]}; do
      names_word "$file" "$sub" || problem "${file#"$SRC"/} does not name '$group $sub'"
    done
    while IFS= read -r command; do
      for flag in ${flags_of[$command]}; do
        names_flag "$file" "$flag" || problem "${file#"$SRC"/} does not name '$command $flag'"
      done
    done < <(commands_of "$group")
  done
done

out=$(bash -n "$COMP/ward.bash" 2>&1) || problem "bash -n completions/ward.bash: $out"
out=$(zsh -n "$COMP/_ward" 2>&1) || problem "zsh -n completions/_ward: $out"
out=$(fish -n "$COMP/ward.fish" 2>&1) || problem "fish -n completions/ward.fish: $out"

# The bash and fish completions offer exactly the binary's groups and subcommands.
sorted() { tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' '; }
bash_complete() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ward
           printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP/ward.bash" "$@"
}
fish_complete() {
  # shellcheck disable=SC2016  # fish expands $argv, not this shell
  fish -c 'source $argv[1]; complete -C"$argv[2]"' "$COMP/ward.fish" "$1" | cut -f1
}
want=$(printf '%s ' "${groups[@]}" | sorted)
got=$(bash_complete ward "" | sorted)
[[ $got == "$want" ]] || problem "bash completes 'ward ' to [$got], the binary has [$want]"
got=$(fish_complete "ward " | sorted)
[[ $got == "$want" ]] || problem "fish completes 'ward ' to [$got], the binary has [$want]"
for group in "${groups[@]}"; do
  [[ -n ${subs_of[$group]// /} ]] || continue
  want=$(sorted <<<"${subs_of[$group]}")
  got=$(bash_complete ward "$group" "" | sorted)
  [[ $got == "$want" ]] || problem "bash completes 'ward $group ' to [$got], the binary has [$want]"
  got=$(fish_complete "ward $group " | sorted)
  [[ $got == "$want" ]] || problem "fish completes 'ward $group ' to [$got], the binary has [$want]"
done

if ((${#problems[@]} > 0)); then
  printf 'problem: %s\n' "${problems[@]}" >&2
  fail "${#problems[@]} documentation problem(s)"
fi
echo "docs: ${#groups[@]} groups, ${#pages[@]} man pages and 3 completion files agree with the binary"
