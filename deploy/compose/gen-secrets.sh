#!/bin/sh
# Makes every secret the compose stack reads, as files under ./secrets, and
# writes the non-secret values derived from them into ./.env: the Kafka cluster id and
# each hall's TONGBAN_PARTNERS (the other halls' public keys).
#
# It never replaces a secret that exists, so running it again is safe; delete a file to
# have it made anew (see deploy/README.md before deleting a signing key or a password
# Kafka or PostgreSQL already holds). Needs openssl 1.1.1 or newer.
#
#   ./gen-secrets.sh                   # halls 440100 and 440600, as in docker-compose.yml
#   HALLS="440100 440600" ./gen-secrets.sh
set -eu
cd "$(dirname "$0")"
HALLS=${HALLS:-"440100 440600"}
SECRETS=${SECRETS:-secrets}
ENV_FILE=${ENV_FILE:-.env}

command -v openssl >/dev/null || { echo "gen-secrets: openssl is needed" >&2; exit 1; }
# Compose bind-mounts each file into /run/secrets with its host owner and mode, and the
# containers run as different users (Kafka 1000, PostgreSQL 999, Tongban 10001), so the
# files are world-readable (644) and the folder that holds them is not (700): on the
# host only its owner can reach them.
mkdir -p "$SECRETS"
chmod 700 "$SECRETS"
umask 022

# password NAME: 48 hex characters, safe inside JAAS strings, DSNs and --add-scram.
password() {
	[ -s "$SECRETS/$1" ] || openssl rand -hex 24 >"$SECRETS/$1"
}

# signing_key CODE: the base64 Ed25519 seed (32 bytes) TONGBAN_SIGNING_KEY expects. A
# PKCS#8 Ed25519 key in DER form ends with its seed.
signing_key() {
	f="$SECRETS/hall_$1_signing_key"
	[ -s "$f" ] || openssl genpkey -algorithm ed25519 -outform DER | tail -c 32 | openssl base64 -A >"$f"
}

# public_key CODE: the base64 public key of the hall's seed, as partners list it. The
# seed is wrapped in the fixed 16-byte PKCS#8 Ed25519 prefix so openssl can read it.
public_key() {
	{
		printf '\060\056\002\001\000\060\005\006\003\053\145\160\004\042\004\040'
		openssl base64 -d -A <"$SECRETS/hall_$1_signing_key"
	} | openssl pkey -inform DER -pubout -outform DER | tail -c 32 | openssl base64 -A
}

# seal_key CODE: the base64 X25519 private key TONGBAN_SEAL_KEY expects (the last 32
# bytes of its PKCS#8 DER form); partners seal applicants' data for it.
seal_key() {
	f="$SECRETS/hall_$1_seal_key"
	[ -s "$f" ] || openssl genpkey -algorithm X25519 -outform DER | tail -c 32 | openssl base64 -A >"$f"
}

# seal_public CODE: the base64 X25519 public key partners list after the colon.
seal_public() {
	{
		printf '\060\056\002\001\000\060\005\006\003\053\145\156\004\042\004\040'
		openssl base64 -d -A <"$SECRETS/hall_$1_seal_key"
	} | openssl pkey -inform DER -pubout -outform DER | tail -c 32 | openssl base64 -A
}

# data_keys CODE / search_key CODE: the AES-256 key (id k1) for personal data at rest
# and the HMAC key for exact ID search.
data_keys() {
	f="$SECRETS/hall_$1_data_keys"
	[ -s "$f" ] || printf 'k1:%s\n' "$(openssl rand -base64 32)" >"$f"
}
search_key() {
	f="$SECRETS/hall_$1_search_key"
	[ -s "$f" ] || openssl rand -base64 32 >"$f"
}

# database_url NAME DB: a DSN file for a node, from the PostgreSQL password file.
database_url() {
	pw=$(cat "$SECRETS/pg_$1_password")
	printf 'postgres://tongban:%s@pg-%s:5432/%s?sslmode=disable\n' "$pw" "$(printf '%s' "$1" | tr '_' '-')" "$2" >"$SECRETS/$1_database_url"
}

for name in kafka_broker_password kafka_controller_password kafka_admin_password kafka_settlement_password pg_settlement_password; do
	password "$name"
done
database_url settlement settlement
[ -s "$SECRETS/settlement_data_keys" ] || printf 'k1:%s\n' "$(openssl rand -base64 32)" >"$SECRETS/settlement_data_keys"
for code in $HALLS; do
	password "kafka_hall_${code}_password"
	password "pg_hall_${code}_password"
	database_url "hall_$code" "hall_$code"
	signing_key "$code"
	seal_key "$code"
	data_keys "$code"
	search_key "$code"
done

# set_env NAME VALUE: replace or add one line of the .env file.
set_env() {
	tmp="$ENV_FILE.tmp"
	grep -v "^$1=" "$ENV_FILE" >"$tmp" || true
	printf '%s=%s\n' "$1" "$2" >>"$tmp"
	mv "$tmp" "$ENV_FILE"
}

[ -f "$ENV_FILE" ] || cp .env.example "$ENV_FILE"
chmod 644 "$ENV_FILE"
if ! grep -q '^KAFKA_CLUSTER_ID=..*' "$ENV_FILE"; then
	set_env KAFKA_CLUSTER_ID "$(openssl rand -base64 16 | tr '+/' '-_' | tr -d '=\n')"
fi
for code in $HALLS; do
	partners=""
	for other in $HALLS; do
		[ "$other" = "$code" ] && continue
		partners="${partners:+$partners,}$other=$(public_key "$other"):$(seal_public "$other")"
	done
	set_env "TONGBAN_PARTNERS_$code" "$partners"
	echo "hall $code public key: $(public_key "$code")"
done
settlement_halls=""
for code in $HALLS; do
	settlement_halls="${settlement_halls:+$settlement_halls,}$code=$(public_key "$code")"
done
set_env TONGBAN_SETTLEMENT_HALLS "$settlement_halls"
echo "secrets in $(pwd)/$SECRETS, settings in $(pwd)/$ENV_FILE"
