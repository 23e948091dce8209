# A throwaway test PKI for TLS fixtures. Source after tests/integration/lib.bash, then
#
#   make_pki "$T/pki"
#
# writes into that directory (PEM; keys 0600):
#   ca.pem ca.key                 Test Root CA
#   server.pem                    valid for localhost, 127.0.0.1, ::1 (2024..2099)
#   expired.pem                   same names, valid 2020-01-01..2021-01-01
#   future.pem                    same names, not valid before 2090
#   expiring.pem                  same names, expires in 10 days
#   wronghost.pem                 valid, but only for wrong.example.com
#   selfsigned.pem                self-signed for localhost, 127.0.0.1
#   sha1.pem                      valid for localhost, signed by the CA with SHA-1
#   weakkey.pem weakkey.key       valid for localhost, RSA 1024-bit key
#   server.key                    the RSA 2048 key of every other leaf (one key keeps it fast)
# shellcheck shell=bash

make_pki() {
  local d=$1
  mkdir -p "$d/ca.db"
  (
    cd "$d" || exit 1
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -out ca.pem -days 3650 -subj "/CN=Ward Test Root CA" \
      -addext "basicConstraints=critical,CA:TRUE" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server.key 2>/dev/null
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out weakkey.key 2>/dev/null
    : >ca.db/index.txt
    echo 1000 >ca.db/serial
    cat >ca.cnf <<CNF
[ ca ]
default_ca = testca
[ testca ]
dir = $d/ca.db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $d/ca.pem
private_key = $d/ca.key
default_md = sha256
policy = pol
unique_subject = no
copy_extensions = none
[ pol ]
commonName = supplied
[ srv_localhost ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1,IP:::1
[ srv_wrong ]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example.com
CNF
    # issue NAME KEY EXTENSIONS START END [DIGEST]
    issue() {
      openssl req -new -key "$2" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
      openssl ca -batch -config ca.cnf -extensions "$3" -startdate "$4" -enddate "$5" \
        -md "${6:-sha256}" -in "$1.csr" -out "$1.pem" -notext 2>/dev/null
      rm -f "$1.csr"
    }
    local soon
    soon=$(date -u -d '+10 days' +%Y%m%d%H%M%SZ)
    issue server server.key srv_localhost 20240101000000Z 20991231000000Z
    issue expired server.key srv_localhost 20200101000000Z 20210101000000Z
    issue future server.key srv_localhost 20900101000000Z 20991231000000Z
    issue expiring server.key srv_localhost 20240101000000Z "$soon"
    issue wronghost server.key srv_wrong 20240101000000Z 20991231000000Z
    issue sha1 server.key srv_localhost 20240101000000Z 20991231000000Z sha1
    issue weakkey weakkey.key srv_localhost 20240101000000Z 20991231000000Z
    openssl req -x509 -new -key server.key -out selfsigned.pem -days 3650 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
    chmod 600 ./*.key
  ) || fail "cannot create the test PKI in $d"
  local f
  for f in ca server expired future expiring wronghost sha1 weakkey selfsigned; do
    [[ -s $d/$f.pem ]] || fail "test PKI: $f.pem was not created"
  done
}
