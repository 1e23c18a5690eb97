#!/usr/bin/env bash
# A development PKI for planreg: one CA, a server certificate, and client
# certificates whose subject carries the organisation code (O), the person or
# job (CN) and the role (OU). Production deployments use their own CA; the
# daemon only needs its PEM files.
#
#   pki.sh init DIR                         CA (ca.crt, ca.key), once
#   pki.sh server DIR [HOST...]             server.crt/key for localhost, 127.0.0.1, ::1, this host, HOSTs
#   pki.sh issue DIR NAME ORG PERSON [ROLE] NAME.crt/key; prints the SHA-256 fingerprint to enrol
#   pki.sh fingerprint CERT                 the SHA-256 fingerprint planregd looks up
set -euo pipefail

usage() {
  sed -n '6,9p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

fingerprint() {
  openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

# -subj takes /K=V pairs: escape the characters that would split them
subj_value() {
  printf '%s' "$1" | sed 's/[\\/=+,]/\\&/g'
}

newkey() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  chmod 600 "$1"
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift

case "$cmd" in
init)
  dir=${1:?usage: pki.sh init DIR}
  mkdir -p "$dir"
  if [ -f "$dir/ca.crt" ] && [ -f "$dir/ca.key" ]; then
    echo "pki: CA exists in $dir"
    exit 0
  fi
  newkey "$dir/ca.key"
  openssl req -new -x509 -key "$dir/ca.key" -sha256 -days 3650 -subj "/O=planreg/CN=planreg development CA" \
    -addext "basicConstraints=critical,CA:true,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.crt"
  echo "pki: created CA $dir/ca.crt"
  ;;
server)
  dir=${1:?usage: pki.sh server DIR [HOST...]}
  shift
  [ -f "$dir/ca.key" ] || { echo "pki: no CA in $dir (run pki.sh init $dir)" >&2; exit 1; }
  san="DNS:localhost,IP:127.0.0.1,IP:::1"
  host=$(hostname 2>/dev/null || true)
  [ -n "$host" ] && [ "$host" != localhost ] && san="$san,DNS:$host"
  for h in "$@"; do
    [ "$h" = localhost ] && continue
    if [[ $h =~ ^[0-9.]+$ || $h == *:* ]]; then san="$san,IP:$h"; else san="$san,DNS:$h"; fi
  done
  newkey "$dir/server.key"
  openssl req -new -key "$dir/server.key" -subj "/O=planreg/CN=planregd" -out "$dir/server.csr"
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:false\n' \
    "$san" >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
  rm -f "$dir/server.csr" "$dir/server.ext"
  echo "pki: issued server certificate $dir/server.crt ($san)"
  ;;
issue)
  [ $# -ge 4 ] || usage
  dir=$1 name=$2 org=$3 person=$4 role=${5:-submitter}
  [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ ]] || { echo "pki: bad name \"$name\"" >&2; exit 2; }
  [[ $org =~ ^[A-Za-z0-9]{1,16}$ ]] || { echo "pki: bad organisation code \"$org\"" >&2; exit 2; }
  case "$role" in admin | viewer | submitter | reminder) ;; *)
    echo "pki: role must be admin, viewer, submitter or reminder" >&2
    exit 2
    ;;
  esac
  [ -f "$dir/ca.key" ] || { echo "pki: no CA in $dir (run pki.sh init $dir)" >&2; exit 1; }
  newkey "$dir/$name.key"
  openssl req -new -key "$dir/$name.key" -utf8 \
    -subj "/O=$(subj_value "$org")/OU=$(subj_value "$role")/CN=$(subj_value "$person")" -out "$dir/$name.csr"
  printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:false\n' >"$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
  fp=$(fingerprint "$dir/$name.crt")
  echo "pki: issued $dir/$name.crt for $person ($org, $role)"
  echo "fingerprint: $fp"
  echo "enrol with: planreg cred enrol --cert $dir/$name.crt --role $role --name $name"
  ;;
fingerprint)
  fingerprint "${1:?usage: pki.sh fingerprint CERT}"
  ;;
*)
  usage
  ;;
esac
