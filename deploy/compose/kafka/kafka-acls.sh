#!/bin/sh
# Grants the Tongban users of the compose cluster exactly what the code needs, with
# kafka-acls.sh as the admin user. It runs once after the brokers are healthy; adding
# an ACL that exists already is harmless, so running it again is safe.
#
# A hall (user hall-<code>):
#   - reads only its own inbox tongban.hall.<code>, with consumer group tongban-hall-<code>;
#   - writes to every partner's inbox, tongban.settlement.waybills and
#     tongban.supervision.alerts;
#   - may describe the configs of its inbox and the two shared topics, because a hall
#     checks at start that its topics exist (internal/bus EnsureTopics).
# Settlement (user settlement) reads tongban.settlement.waybills with group
# tongban-settlement.
#
# Environment:
#   HALLS        division codes of the halls, e.g. "440100 440600"
#   BOOTSTRAP    a broker, e.g. kafka-1:9092
#   SECRETS_DIR  default /run/secrets (kafka_admin_password)
#   DRY_RUN      when 1, print one kafka-acls.sh command per line instead of running them
set -eu

: "${HALLS:?HALLS is not set}"
: "${BOOTSTRAP:?BOOTSTRAP is not set}"
SECRETS_DIR=${SECRETS_DIR:-/run/secrets}
KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}
SETTLEMENT_TOPIC=tongban.settlement.waybills
SUPERVISION_TOPIC=tongban.supervision.alerts

if [ "${DRY_RUN:-0}" != 1 ]; then
	umask 077
	admin_conf=$(mktemp)
	trap 'rm -f "$admin_conf"' EXIT
	admin_pw=$(tr -d '\r\n' <"$SECRETS_DIR/kafka_admin_password")
	cat >"$admin_conf" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_pw";
PROPS
fi

# allow USER RESOURCE-TYPE NAME OPERATION...
allow() {
	user=$1 kind=$2 name=$3
	shift 3
	set -- --add --allow-principal "User:$user" --resource-pattern-type literal "--$kind" "$name" \
		$(for op in "$@"; do printf '%s %s ' --operation "$op"; done)
	if [ "${DRY_RUN:-0}" = 1 ]; then
		echo "kafka-acls.sh $*"
		return
	fi
	"$KAFKA_BIN/kafka-acls.sh" --bootstrap-server "$BOOTSTRAP" --command-config "$admin_conf" "$@" >/dev/null
	echo "kafka-acls: User:$user $kind $name: $*"
}

for code in $HALLS; do
	user="hall-$code"
	allow "$user" topic "tongban.hall.$code" Read Describe DescribeConfigs
	allow "$user" group "tongban-hall-$code" Read
	for partner in $HALLS; do
		[ "$partner" = "$code" ] && continue
		allow "$user" topic "tongban.hall.$partner" Write Describe
	done
	allow "$user" topic "$SETTLEMENT_TOPIC" Write Describe DescribeConfigs
	allow "$user" topic "$SUPERVISION_TOPIC" Write Describe DescribeConfigs
done

allow settlement topic "$SETTLEMENT_TOPIC" Read Describe DescribeConfigs
allow settlement group tongban-settlement Read
