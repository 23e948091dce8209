# bash completion for ward(1)                                    -*- shell-script -*-
# Installed as /usr/share/bash-completion/completions/ward.

_ward_groups="init key cred passwd audit store ns maintenance backup check tunnel status redact"
_ward_global_flags="--store --ns --json -q --quiet -v --verbose --log-format --config --key-file --passphrase-file --passphrase-fd --ssh-identity --ssh-known-hosts --ssh-password-file --s3-ca --s3-credential --version -h --help"

# Subcommands of each group.
_ward_subcommands() {
    case $1 in
        key) echo "status rotate rewrap retire add-unlock remove-unlock" ;;
        cred) echo "add get show list rotate revoke exec generate import export leaks" ;;
        passwd) echo "hash verify check" ;;
        audit) echo "log verify checkpoint report export reports" ;;
        store) echo "info verify migrate" ;;
        ns) echo "list create destroy" ;;
        backup) echo "create list diff restore verify prune source" ;;
        check) echo "tls http ssh source all" ;;
        redact) echo "scan run jobs reveal" ;;
    esac
}

# Flags of one command ("init", or "group subcommand").
_ward_command_flags() {
    local secret="--secret-stdin --secret-file --secret-env --prompt --generate --policy"
    case $1 in
        init) echo "--store --key-file --passphrase-file --passphrase-fd --kdf-memory --kdf-iterations --kek-max-age --accept-new-hostkey" ;;
        maintenance) echo "--temp-age --seal-min" ;;
        "key status") echo "--check --max-age" ;;
        "key rotate") echo "--master" ;;
        "key add-unlock") echo "--new-key-file --new-passphrase-file --new-passphrase-fd" ;;
        "cred add") echo "--type --field --field-file $secret --secret-field --rotate-every --allow-weak" ;;
        "cred get") echo "--field --version" ;;
        "cred show") echo "--version" ;;
        "cred list") echo "--due --within" ;;
        "cred rotate") echo "--field --field-file $secret --allow-weak --apply --grace --timeout --all --type --older-than --due --dry-run --parallel" ;;
        "cred revoke") echo "--version --purge --apply --timeout" ;;
        "cred exec") echo "--env --" ;;
        "cred generate") echo "--policy" ;;
        "cred import") echo "--input-format --type --prefix --overwrite --dry-run" ;;
        "cred export") echo "--reveal" ;;
        "cred leaks") echo "--rotate --timeout" ;;
        "passwd hash") echo "--cost" ;;
        "passwd check") echo "--min-length --min-entropy" ;;
        "audit log") echo "--since --action --target" ;;
        "audit verify") echo "--checkpoint" ;;
        "audit report") echo "--since --due --format --out --auth-cred" ;;
        "audit export") echo "--format --since" ;;
        "ns destroy") echo "--yes" ;;
        "backup create") echo "--stdin --stdin-name --from-command --tag --exclude --time --source --expect-every" ;;
        "backup list") echo "--tag --source" ;;
        "backup restore") echo "--to --include --overwrite" ;;
        "backup verify") echo "--read-data --read-data-subset" ;;
        "backup prune") echo "--keep-last --keep-daily --keep-weekly --keep-monthly --dry-run" ;;
        "backup source") echo "set list --expect-every --unscheduled" ;;
        "check tls") echo "--starttls --sni --ca --min-version --warn-days --expect-fingerprint --timeout --fail-on --junit" ;;
        "check http") echo "--ca --warn-days --timeout --fail-on --junit" ;;
        "check ssh") echo "--known-hosts --expect-hostkey --cred --user --timeout --fail-on --junit" ;;
        "check source") echo "--timeout --fail-on --junit" ;;
        "check all") echo "--parallel --type --timeout --fail-on --junit" ;;
        tunnel) echo "--via --to --listen --timeout" ;;
        status) echo "--due" ;;
        "redact scan") echo "--input-format --detectors --samples" ;;
        "redact run") echo "--input-format --detectors --action --keep --replacement --column -o --output --in-place --dry-run" ;;
    esac
    echo "-h --help"
}

# Options that take a value, before (global) and after the command word.
_ward_global_takes_arg() {
    case $1 in
        --store | --ns | --log-format | --config | --key-file | --passphrase-file | --passphrase-fd | \
            --ssh-identity | --ssh-known-hosts | --ssh-password-file | --s3-ca | --s3-credential) return 0 ;;
    esac
    return 1
}
_ward_command_takes_arg() {
    case $1 in
        --store | --ns | --log-format | --config | --key-file | --passphrase-file | --passphrase-fd | \
            --ssh-identity | --ssh-known-hosts | --ssh-password-file | --s3-ca | --s3-credential | \
            --kdf-memory | --kdf-iterations | --kek-max-age | --max-age | --new-key-file | --temp-age | --seal-min | \
            --new-passphrase-file | --new-passphrase-fd | --type | --field | \
            --field-file | --secret-file | --secret-env | --policy | --secret-field | --rotate-every | \
            --version | --env | --cost | --min-length | --min-entropy | --since | --action | --target | \
            --checkpoint | --stdin-name | --from-command | --tag | --exclude | --time | --source | --expect-every | \
            --to | --include | --read-data-subset | --keep-last | --keep-daily | --keep-weekly | \
            --keep-monthly | --starttls | --sni | --ca | --min-version | --warn-days | \
            --expect-fingerprint | --timeout | --fail-on | --junit | --known-hosts | --expect-hostkey | \
            --cred | --user | --parallel | --via | --listen | \
            --input-format | --detectors | --samples | --keep | --replacement | --column | -o | --output) return 0 ;;
    esac
    return 1
}

_ward() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local group="" sub="" i word

    # Walk the words before the cursor: global options, then group, then subcommand.
    for ((i = 1; i < COMP_CWORD; i++)); do
        word=${COMP_WORDS[i]}
        if [[ -z $group ]]; then
            if _ward_global_takes_arg "$word"; then
                ((i++))
            elif [[ $word != -* ]]; then
                group=$word
            fi
        elif [[ $word == -- && $group == cred && $sub == exec ]]; then
            # After `cred exec NAME --`: complete the command to run.
            local j=$((i + 1))
            if ((COMP_CWORD == j)); then
                mapfile -t COMPREPLY < <(compgen -c -- "$cur")
            else
                mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            fi
            return 0
        elif _ward_command_takes_arg "$word"; then
            ((i++))
        elif [[ -z $sub && $word != -* && -n $(_ward_subcommands "$group") ]]; then
            sub=$word
        fi
    done

    # Values of options.
    case $prev in
        --key-file | --passphrase-file | --config | --new-key-file | --new-passphrase-file | \
            --ssh-identity | --ssh-known-hosts | --ssh-password-file | --s3-ca | \
            --secret-file | --checkpoint | --include | --exclude | --ca | --junit)
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
            compopt -o filenames 2>/dev/null
            return 0
            ;;
        --field-file)
            if [[ $cur == *=* ]]; then
                mapfile -t COMPREPLY < <(compgen -f -- "${cur#*=}")
                compopt -o filenames 2>/dev/null
            fi
            return 0
            ;;
        --log-format)
            mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
            return 0
            ;;
        --starttls)
            mapfile -t COMPREPLY < <(compgen -W "postgres mysql smtp" -- "$cur")
            return 0
            ;;
        --min-version)
            mapfile -t COMPREPLY < <(compgen -W "1.0 1.1 1.2 1.3" -- "$cur")
            return 0
            ;;
        --fail-on)
            mapfile -t COMPREPLY < <(compgen -W "info low medium high critical" -- "$cur")
            return 0
            ;;
        --type)
            mapfile -t COMPREPLY < <(compgen -W "postgres mysql ssh https api-key generic" -- "$cur")
            return 0
            ;;
        --policy)
            mapfile -t COMPREPLY < <(compgen -W "default alnum hex pin length= classes= exclude=" -- "$cur")
            compopt -o nospace 2>/dev/null
            return 0
            ;;
        --secret-env)
            mapfile -t COMPREPLY < <(compgen -v -- "$cur")
            return 0
            ;;
        --store)
            mapfile -t COMPREPLY < <(compgen -W "file:// sftp:// s3://" -- "$cur")
            compopt -o nospace 2>/dev/null
            return 0
            ;;
        --to)
            mapfile -t COMPREPLY < <(compgen -d -- "$cur")
            compopt -o filenames 2>/dev/null
            return 0
            ;;
        --stdin-name | --from-command | --tag | --time | --source | --read-data-subset | \
            --keep-last | --keep-daily | --keep-weekly | --keep-monthly)
            return 0
            ;;
        --ns | --passphrase-fd | --kdf-memory | --kdf-iterations | --kek-max-age | --new-passphrase-fd | --max-age | --field | --secret-field | \
            --rotate-every | --version | --env | --cost | --min-length | --min-entropy | --since | \
            --action | --target | --sni | --warn-days | --expect-fingerprint | --timeout | \
            --grace | --older-than | --within)
            # Free-form values (`--version` before a group prints the version and takes none).
            [[ -n $group || $prev != --version ]] && return 0
            ;;
    esac

    if [[ -z $group ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$_ward_global_flags" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$_ward_groups" -- "$cur")
        fi
        return 0
    fi

    local subs
    subs=$(_ward_subcommands "$group")
    if [[ -n $subs && -z $sub ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "-h --help" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$subs" -- "$cur")
        fi
        return 0
    fi

    local command=$group
    [[ -n $sub ]] && command="$group $sub"
    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_ward_command_flags "$command")" -- "$cur")
    fi
    return 0
}

complete -F _ward ward
