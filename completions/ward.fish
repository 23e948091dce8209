# fish completion for ward(1). Installed in /usr/share/fish/vendor_completions.d.

set -l groups init key cred passwd audit store ns maintenance backup check tunnel status redact
set -l key_subs status rotate rewrap retire add-unlock remove-unlock
set -l cred_subs add get show list rotate revoke exec generate import export leaks
set -l passwd_subs hash verify check
set -l audit_subs log verify checkpoint report export reports
set -l store_subs info verify migrate
set -l ns_subs list create destroy
set -l backup_subs create list diff restore verify prune source
set -l check_subs tls http ssh source all
set -l redact_subs scan run jobs reveal

# True when the command line has GROUP and, if given, SUB as its command words.
function __ward_using
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l words
    set -l skip 0
    for t in $tokens
        if test $skip -eq 1
            set skip 0
            continue
        end
        switch $t
            case --store --ns --log-format --config --key-file --passphrase-file --passphrase-fd --ssh-identity --ssh-known-hosts --ssh-password-file --s3-ca --s3-credential
                if test (count $words) -eq 0
                    set skip 1
                end
            case '-*'
            case '*'
                if test (count $words) -lt 2
                    set -a words $t
                end
        end
    end
    test (count $argv) -eq 0; and test (count $words) -eq 0; and return 0
    test "$words[1]" = "$argv[1]"; or return 1
    if test (count $argv) -ge 2
        test "$words[2]" = "$argv[2]"; or return 1
    end
    return 0
end

# True after `cred exec NAME --`: the rest is a command line of its own.
function __ward_after_dashdash
    __ward_using cred exec; or return 1
    contains -- -- (commandline -opc)
end

function __ward_complete_exec
    set -l tokens (commandline -opc)
    set -l i (contains -i -- -- $tokens)
    set -l rest $tokens[(math $i + 1)..-1]
    complete -C (string join -- ' ' (string escape -- $rest) (commandline -ct))
end

# True when GROUP is the group and no subcommand has been given yet.
function __ward_needs_sub
    __ward_using $argv[1]; or return 1
    set -l tokens (commandline -opc)
    for sub in $argv[2..-1]
        contains -- $sub $tokens; and return 1
    end
    return 0
end

complete -c ward -f

# Global options (before the command group)
set -l no_group "not __fish_seen_subcommand_from $groups"
complete -c ward -n $no_group -l store -r -d 'Store URL (file://, sftp://, s3://)'
complete -c ward -n $no_group -l ns -r -d 'Namespace'
complete -c ward -n $no_group -l json -d 'JSON output'
complete -c ward -n $no_group -s q -l quiet -d 'Print only results and errors'
complete -c ward -n $no_group -s v -l verbose -d 'More detail on standard error'
complete -c ward -n $no_group -l log-format -x -a 'text json' -d 'Log format'
complete -c ward -n $no_group -l config -r -F -d 'Configuration file'
complete -c ward -n $no_group -l key-file -r -F -d 'Unlock with a key file'
complete -c ward -n $no_group -l passphrase-file -r -F -d 'Unlock with a passphrase file'
complete -c ward -n $no_group -l passphrase-fd -x -d 'Unlock with a passphrase from a file descriptor'
complete -c ward -n $no_group -l ssh-identity -r -F -d 'SFTP store: SSH private key file'
complete -c ward -n $no_group -l ssh-known-hosts -r -F -d 'SFTP store: known_hosts file'
complete -c ward -n $no_group -l ssh-password-file -r -F -d 'SFTP store: file holding the SSH password'
complete -c ward -n $no_group -l s3-ca -r -F -d 'S3 store: CA certificates for its https endpoint'
complete -c ward -n $no_group -l s3-credential -x -d 'S3 store: stored credential holding its keys'
complete -c ward -n $no_group -l version -d 'Print the version'
complete -c ward -s h -l help -d 'Print help'

# Groups
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a init -d 'Create a store and its master key'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a maintenance -d 'Clean up after interrupted writes, rewraps and rotations'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a key -d 'Key status, rotation, rewrapping, unlock entries'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a cred -d 'Encrypted, versioned, rotatable credentials'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a passwd -d 'bcrypt hashing and strength policy'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a audit -d 'The tamper-evident audit log'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a store -d 'Inspect, verify and migrate a store'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a ns -d 'Namespaces'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a backup -d 'Encrypted, deduplicated backups'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a check -d 'Judge transport security: TLS, HTTP(S), SSH and stored sources'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a tunnel -d 'Forward a local port through a bastion'
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a status -d 'One gate over everything due or overdue'

# maintenance
complete -c ward -n '__ward_using maintenance' -l temp-age -x -d 'Remove temporary files older than this'
complete -c ward -n '__ward_using maintenance' -l seal-min -x -d 'Seal audit events once this many are unsealed'

# init
complete -c ward -n '__ward_using init' -l store -r -d 'Store URL (file://, sftp://, s3://)'
complete -c ward -n '__ward_using init' -l key-file -r -F -d 'Key file for the first unlock entry'
complete -c ward -n '__ward_using init' -l passphrase-file -r -F -d 'Passphrase file for the first unlock entry'
complete -c ward -n '__ward_using init' -l passphrase-fd -x -d 'File descriptor to read the passphrase from'
complete -c ward -n '__ward_using init' -l kdf-memory -x -d 'Argon2id memory cost in KiB'
complete -c ward -n '__ward_using init' -l kdf-iterations -x -d 'Argon2id iterations'
complete -c ward -n '__ward_using init' -l kek-max-age -x -d 'Rotation policy for key-encryption keys'
complete -c ward -n '__ward_using init' -l accept-new-hostkey -d 'SFTP store: trust and record a new host key'

# key
complete -c ward -n "__ward_needs_sub key $key_subs" -a status -d 'Show keys and rotation status'
complete -c ward -n "__ward_needs_sub key $key_subs" -a rotate -d 'Add a KEK version'
complete -c ward -n "__ward_needs_sub key $key_subs" -a rewrap -d 'Rewrap data keys under the current KEK'
complete -c ward -n "__ward_needs_sub key $key_subs" -a retire -d 'Remove an unused KEK version'
complete -c ward -n "__ward_needs_sub key $key_subs" -a add-unlock -d 'Add an unlock entry'
complete -c ward -n "__ward_needs_sub key $key_subs" -a remove-unlock -d 'Remove an unlock entry'
complete -c ward -n '__ward_using key status' -l check -d 'Exit 1 when a key is overdue'
complete -c ward -n '__ward_using key status' -l max-age -x -d 'Maximum key age'
complete -c ward -n '__ward_using key rotate' -l master -d 'Replace the master key itself'
complete -c ward -n '__ward_using key add-unlock' -l new-key-file -r -F -d 'Key file of the new entry'
complete -c ward -n '__ward_using key add-unlock' -l new-passphrase-file -r -F -d 'Passphrase file of the new entry'
complete -c ward -n '__ward_using key add-unlock' -l new-passphrase-fd -x -d 'File descriptor with the new passphrase'

# cred
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a add -d 'Add a credential'
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a get -d 'Print a field of a credential'
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a show -d 'Show a credential without its secret'
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a list -d 'List credentials'
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a rotate -d 'Add a new version with a new secret'
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a revoke -d 'Revoke a credential or one version'
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a exec -d 'Run a command with the credential in its environment'
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a generate -d 'Print a new random secret'
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a import -d 'Store credentials from .env, JSON or a pass store'
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a export -d 'Write credentials as JSON'
complete -c ward -n '__ward_using cred import' -l input-format -x -a 'env json pass' -d 'Format of the input'
complete -c ward -n '__ward_using cred import' -l type -x -a 'postgres mysql ssh https api-key generic' -d 'Type of the imported credentials'
complete -c ward -n '__ward_using cred import' -l prefix -x -d 'Put this before every imported name'
complete -c ward -n '__ward_using cred import' -l overwrite -d 'Give existing credentials a new version'
complete -c ward -n '__ward_using cred import' -l dry-run -d 'Show what would be stored'
complete -c ward -n '__ward_using cred export' -l reveal -d 'Include the secret values'
complete -c ward -n "__ward_needs_sub cred $cred_subs" -a leaks -d 'Find managed secrets in files'
complete -c ward -n '__ward_using cred leaks' -l rotate -d 'Rotate leaked credentials, revoke the leaked version'
complete -c ward -n '__ward_using cred leaks' -l timeout -x -d 'With --rotate: bound on each connection'
complete -c ward -n '__ward_using cred add' -l type -x -a 'postgres mysql ssh https api-key generic' -d 'Credential type'
complete -c ward -n '__ward_using cred add' -l secret-field -x -d 'Field that holds the secret'
complete -c ward -n '__ward_using cred add' -l rotate-every -x -d 'Rotation policy'
for sub in add rotate
    complete -c ward -n "__ward_using cred $sub" -l field -x -d 'Non-secret field K=V'
    complete -c ward -n "__ward_using cred $sub" -l field-file -r -d 'Field read from a file K=PATH'
    complete -c ward -n "__ward_using cred $sub" -l secret-stdin -d 'Read the secret from standard input'
    complete -c ward -n "__ward_using cred $sub" -l secret-file -r -F -d 'Read the secret from a file'
    complete -c ward -n "__ward_using cred $sub" -l secret-env -x -a '(set -xn)' -d 'Read the secret from an environment variable'
    complete -c ward -n "__ward_using cred $sub" -l prompt -d 'Prompt for the secret without echo'
    complete -c ward -n "__ward_using cred $sub" -l generate -d 'Generate the secret'
    complete -c ward -n "__ward_using cred $sub" -l allow-weak -d 'Accept a weak supplied secret'
end
for sub in add rotate generate
    complete -c ward -n "__ward_using cred $sub" -l policy -x -a 'default alnum hex pin length= classes= exclude=' -d 'Generation policy'
end
complete -c ward -n '__ward_using cred get' -l field -x -d 'Field to print'
for sub in get show revoke
    complete -c ward -n "__ward_using cred $sub" -l version -x -d 'Version'
end
complete -c ward -n '__ward_using cred revoke' -l purge -d 'Delete the revoked objects'
for sub in rotate revoke
    complete -c ward -n "__ward_using cred $sub" -l apply -d 'Change it on the target too'
    complete -c ward -n "__ward_using cred $sub" -l timeout -x -d 'Bound on each connection to the target'
end
complete -c ward -n '__ward_using cred rotate' -l grace -x -d 'Keep the old version readable this long'
complete -c ward -n '__ward_using cred rotate' -l all -d 'Rotate every credential with a driver'
complete -c ward -n '__ward_using cred rotate' -l type -x -a 'postgres mysql ssh https api-key generic' -d 'With --all: only this type'
complete -c ward -n '__ward_using cred rotate' -l older-than -x -d 'With --all: only secrets older than this'
complete -c ward -n '__ward_using cred rotate' -l dry-run -d 'With --all: change nothing'
complete -c ward -n '__ward_using cred rotate' -l due -d 'With --all: only credentials past their rotation policy'
complete -c ward -n '__ward_using cred list' -l due -d 'Only credentials past their rotation policy'
complete -c ward -n '__ward_using cred list' -l within -x -d 'With --due: also those due within'
complete -c ward -n '__ward_using cred rotate' -l parallel -x -d 'With --all: rotations at once'
complete -c ward -n '__ward_using cred exec' -l env -x -d 'Map a field to a variable VAR=FIELD'
complete -c ward -n '__ward_after_dashdash' -a '(__ward_complete_exec)'

# passwd
complete -c ward -n "__ward_needs_sub passwd $passwd_subs" -a hash -d 'Print a bcrypt hash of a password'
complete -c ward -n "__ward_needs_sub passwd $passwd_subs" -a verify -d 'Check a password against a bcrypt hash'
complete -c ward -n "__ward_needs_sub passwd $passwd_subs" -a check -d 'Judge a password against the strength policy'
complete -c ward -n '__ward_using passwd hash' -l cost -x -d 'bcrypt cost (4-31)'
complete -c ward -n '__ward_using passwd check' -l min-length -x -d 'Minimum length'
complete -c ward -n '__ward_using passwd check' -l min-entropy -x -d 'Minimum entropy in bits'

# audit
complete -c ward -n "__ward_needs_sub audit $audit_subs" -a log -d 'Print audit events'
complete -c ward -n "__ward_needs_sub audit $audit_subs" -a verify -d 'Verify the audit chain'
complete -c ward -n "__ward_needs_sub audit $audit_subs" -a checkpoint -d 'Sign and print a checkpoint'
complete -c ward -n '__ward_using audit log' -l since -x -d 'Only events newer than DURATION'
complete -c ward -n '__ward_using audit log' -l action -x -d 'Only this action'
complete -c ward -n '__ward_using audit log' -l target -x -d 'Only this target'
complete -c ward -n '__ward_using audit verify' -l checkpoint -r -F -d 'Checkpoint line or file'
complete -c ward -n "__ward_needs_sub audit $audit_subs" -a report -d 'A report for auditors'
complete -c ward -n "__ward_needs_sub audit $audit_subs" -a export -d 'Stream events as JSON lines'
complete -c ward -n "__ward_needs_sub audit $audit_subs" -a reports -d 'List or print the reports kept in the store'
complete -c ward -n '__ward_using audit report' -l since -x -d 'Audit activity window'
complete -c ward -n '__ward_using audit report' -l due -x -d 'Due within this window'
complete -c ward -n '__ward_using audit report' -l format -x -a 'md json html junit' -d 'Report format'
complete -c ward -n '__ward_using audit report' -l out -r -F -d '- FILE store or https URL'
complete -c ward -n '__ward_using audit report' -l auth-cred -x -d 'Credential authenticating the POST'
complete -c ward -n '__ward_using audit export' -l format -x -a 'jsonl' -d 'Export format'
complete -c ward -n '__ward_using audit export' -l since -x -d 'Only events newer than DURATION'

# store
complete -c ward -n "__ward_needs_sub store $store_subs" -a info -d 'Show the store configuration'
complete -c ward -n "__ward_needs_sub store $store_subs" -a verify -d 'Authenticate every object'
complete -c ward -n "__ward_needs_sub store $store_subs" -a migrate -d 'Copy every object to another store URL, verified'

# ns
complete -c ward -n "__ward_needs_sub ns $ns_subs" -a list -d 'List namespaces'
complete -c ward -n "__ward_needs_sub ns $ns_subs" -a create -d 'Create a namespace'
complete -c ward -n "__ward_needs_sub ns $ns_subs" -a destroy -d 'Crypto-shred a namespace'
complete -c ward -n '__ward_using ns destroy' -l yes -d 'Confirm'

# backup
complete -c ward -n "__ward_needs_sub backup $backup_subs" -a create -d 'Back up paths, stdin or a command'
complete -c ward -n "__ward_needs_sub backup $backup_subs" -a list -d 'List snapshots'
complete -c ward -n "__ward_needs_sub backup $backup_subs" -a diff -d 'Show what changed between two snapshots'
complete -c ward -n "__ward_needs_sub backup $backup_subs" -a restore -d 'Restore a snapshot into a directory'
complete -c ward -n "__ward_needs_sub backup $backup_subs" -a verify -d 'Check backup structure and data'
complete -c ward -n "__ward_needs_sub backup $backup_subs" -a prune -d 'Apply the retention policy, remove unused data'
complete -c ward -n "__ward_needs_sub backup $backup_subs" -a source -d 'Named sources and their schedules'
complete -c ward -n '__ward_using backup source' -a 'set list' -d 'Set a schedule, or list sources'
complete -c ward -n '__ward_using backup source' -l expect-every -x -d 'Expected interval between snapshots'
complete -c ward -n '__ward_using backup source' -l unscheduled -d 'Remove the schedule'
complete -c ward -n '__ward_using backup create' -F
complete -c ward -n '__ward_using backup create' -l stdin -d 'Back up standard input'
complete -c ward -n '__ward_using backup create' -l stdin-name -x -d 'File name for stdin or command data'
complete -c ward -n '__ward_using backup create' -l from-command -x -d 'Back up the output of a shell command'
complete -c ward -n '__ward_using backup create' -l tag -x -d 'Tag the snapshot'
complete -c ward -n '__ward_using backup create' -l exclude -r -d 'Skip paths matching a glob'
complete -c ward -n '__ward_using backup create' -l time -x -d 'Record this time instead of now'
complete -c ward -n '__ward_using backup create' -l expect-every -x -d 'Record how often this source is backed up'
complete -c ward -n '__ward_using backup create' -l source -x -d 'Source name'
complete -c ward -n '__ward_using backup list' -l tag -x -d 'Only snapshots with this tag'
complete -c ward -n '__ward_using backup list' -l source -x -d 'Only snapshots of this source'
complete -c ward -n '__ward_using backup restore' -l to -r -a '(__fish_complete_directories)' -d 'Directory to restore into'
complete -c ward -n '__ward_using backup restore' -l include -x -d 'Restore only this path'
complete -c ward -n '__ward_using backup restore' -l overwrite -d 'Replace existing files'
complete -c ward -n '__ward_using backup verify' -l read-data -d 'Read and check every pack'
complete -c ward -n '__ward_using backup verify' -l read-data-subset -x -d 'Read and check a share of packs, e.g. 10%'
complete -c ward -n '__ward_using backup prune' -l keep-last -x -d 'Keep the N newest snapshots'
complete -c ward -n '__ward_using backup prune' -l keep-daily -x -d 'Keep one snapshot for each of N days'
complete -c ward -n '__ward_using backup prune' -l keep-weekly -x -d 'Keep one snapshot for each of N weeks'
complete -c ward -n '__ward_using backup prune' -l keep-monthly -x -d 'Keep one snapshot for each of N months'
complete -c ward -n '__ward_using backup prune' -l dry-run -d 'Show what would be removed'
# check
complete -c ward -n "__ward_needs_sub check $check_subs" -a tls -d 'Probe a TLS endpoint: versions, weak ciphers, certificate'
complete -c ward -n "__ward_needs_sub check $check_subs" -a http -d 'Check an HTTP(S) URL: certificate, redirect, HSTS'
complete -c ward -n "__ward_needs_sub check $check_subs" -a ssh -d 'Check an SSH server: host key, algorithms, Terrapin'
complete -c ward -n "__ward_needs_sub check $check_subs" -a source -d 'Check stored credentials end to end'
complete -c ward -n "__ward_needs_sub check $check_subs" -a all -d 'Check every checkable credential of the namespace'
complete -c ward -n '__ward_using check ssh' -l known-hosts -r -F -d 'known_hosts file to verify against'
complete -c ward -n '__ward_using check ssh' -l expect-hostkey -x -d 'Expected host key fingerprint (SHA256:...)'
complete -c ward -n '__ward_using check ssh' -l cred -x -d 'Also log in with this stored ssh credential'
complete -c ward -n '__ward_using check ssh' -l user -x -d 'User whose authentication methods to ask for'
complete -c ward -n '__ward_using check all' -l parallel -x -d 'Checks at a time'
complete -c ward -n '__ward_using check all' -l type -x -a 'postgres ssh https api-key' -d 'Only credentials of this type'
complete -c ward -n '__ward_using check tls' -l starttls -x -a 'postgres mysql smtp' -d 'Plaintext opening before TLS'
complete -c ward -n '__ward_using check tls' -l sni -x -d 'Server name to send and match'
complete -c ward -n '__ward_using check tls' -l min-version -x -a '1.0 1.1 1.2 1.3' -d 'Lowest acceptable TLS version'
complete -c ward -n '__ward_using check tls' -l expect-fingerprint -x -d 'Expected SHA-256 fingerprint of the leaf certificate'
complete -c ward -n '__ward_using check' -l ca -r -F -d 'Trusted CA certificates (PEM)'
complete -c ward -n '__ward_using check' -l warn-days -x -d 'Flag certificates expiring within N days'
complete -c ward -n '__ward_using check' -l timeout -x -d 'Timeout (duration)'
complete -c ward -n '__ward_using check' -l fail-on -x -a 'info low medium high critical' -d 'Exit 1 at or above this severity'
complete -c ward -n '__ward_using check' -l junit -r -F -d 'Also write a JUnit XML report'
# status
complete -c ward -n '__ward_using status' -l due -x -d 'Also fail on what falls due within DURATION'

# tunnel
complete -c ward -n '__ward_using tunnel' -l via -x -d 'ssh credential of the bastion'
complete -c ward -n '__ward_using tunnel' -l to -x -d 'Target HOST:PORT as the bastion sees it'
complete -c ward -n '__ward_using tunnel' -l listen -x -d 'Local ADDRESS:PORT to listen on'
complete -c ward -n '__ward_using tunnel' -l timeout -x -d 'Seconds for each network step'
# redact
complete -c ward -n "not __fish_seen_subcommand_from $groups" -a redact -d 'Find and redact personal data and secrets'
complete -c ward -n "__ward_needs_sub redact $redact_subs" -a scan -d 'Count personal data and secrets; exit 1 when found'
complete -c ward -n "__ward_needs_sub redact $redact_subs" -a run -d 'Run a redaction job or redact files ad hoc'
complete -c ward -n "__ward_needs_sub redact $redact_subs" -a jobs -d 'Jobs, their last runs, whether overdue'
complete -c ward -n "__ward_needs_sub redact $redact_subs" -a reveal -d 'Decrypt tokens of the encrypt action'
complete -c ward -n '__ward_using redact' -l input-format -x -a 'auto text csv jsonl json' -d 'Input format'
complete -c ward -n '__ward_using redact' -l detectors -x -d 'Detectors, comma-separated'
complete -c ward -n '__ward_using redact scan' -l samples -x -d 'Masked samples per detector'
complete -c ward -n '__ward_using redact run' -l action -x -a 'mask partial hash encrypt drop replace' -d 'What replaces each finding'
complete -c ward -n '__ward_using redact run' -l keep -x -d 'partial: characters kept at the end'
complete -c ward -n '__ward_using redact run' -l replacement -x -d 'replace: the constant'
complete -c ward -n '__ward_using redact run' -l column -x -d 'Only this CSV column or JSON field path'
complete -c ward -n '__ward_using redact run' -s o -l output -r -F -d 'Write the result here (- for stdout)'
complete -c ward -n '__ward_using redact run' -l in-place -d 'Replace each input atomically'
complete -c ward -n '__ward_using redact run' -l dry-run -d 'Count what would change'
