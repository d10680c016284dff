#!/bin/sh
# Starts one node of the compose Kafka cluster: a combined KRaft controller and broker,
# run from the official apache/kafka image with this script as its entrypoint.
#
# Why not the image's own entrypoint: it formats the log directory without SCRAM
# credentials, but the brokers authenticate to each other with SCRAM-SHA-512, and in
# KRaft those credentials live in the metadata log. They must be written into the
# bootstrap metadata when the directory is formatted ("kafka-storage format
# --add-scram"), or no broker could ever log in to another to create them.
#
# Listeners:
#   BROKER     :9092  SASL_PLAINTEXT, SCRAM-SHA-512: brokers among themselves and every
#                     client (Tongban nodes, provisioning, ACL tools)
#   CONTROLLER :9093  SASL_PLAINTEXT, PLAIN: the KRaft quorum. Controllers cannot use
#                     SCRAM (their own credentials would live in the log they serve), so
#                     PLAIN with a password from a secret file.
#
# Passwords are read from files (compose secrets) and written only into files under
# $WORK_DIR inside the container, never into the environment.
#
# Environment:
#   NODE_ID          this node's id (1, 2, 3)
#   CLUSTER_ID       the cluster id every node is formatted with (22 characters)
#   VOTERS           controller.quorum.voters, e.g. 1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093
#   ADVERTISED_HOST  the name clients reach this node by
#   SCRAM_USERS      client users created at format time, e.g. "hall-440100 settlement";
#                    each reads its password from $SECRETS_DIR/kafka_<user, - as _>_password
#   SECRETS_DIR      default /run/secrets
#   WORK_DIR         default /tmp/tongban-kafka
#   DATA_DIR         default /var/lib/kafka/data
#   DRY_RUN          when 1, print the properties and the format command instead of running
set -eu

: "${NODE_ID:?NODE_ID is not set}"
: "${CLUSTER_ID:?CLUSTER_ID is not set (run gen-secrets.sh, it writes KAFKA_CLUSTER_ID to .env)}"
: "${VOTERS:?VOTERS is not set}"
: "${ADVERTISED_HOST:?ADVERTISED_HOST is not set}"
SCRAM_USERS=${SCRAM_USERS:-}
SECRETS_DIR=${SECRETS_DIR:-/run/secrets}
WORK_DIR=${WORK_DIR:-/tmp/tongban-kafka}
DATA_DIR=${DATA_DIR:-/var/lib/kafka/data}
KAFKA_BIN=${KAFKA_BIN:-/opt/kafka/bin}

secret() {
	f="$SECRETS_DIR/$1"
	if [ ! -s "$f" ]; then
		echo "kafka-node: secret file $f is missing or empty" >&2
		exit 1
	fi
	tr -d '\r\n' <"$f"
}

broker_pw=$(secret kafka_broker_password)
controller_pw=$(secret kafka_controller_password)
admin_pw=$(secret kafka_admin_password)

umask 077
mkdir -p "$WORK_DIR"
conf="$WORK_DIR/server.properties"

cat >"$conf" <<PROPS
process.roles=broker,controller
node.id=$NODE_ID
controller.quorum.voters=$VOTERS
listeners=BROKER://:9092,CONTROLLER://:9093
advertised.listeners=BROKER://$ADVERTISED_HOST:9092
listener.security.protocol.map=BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=BROKER
controller.listener.names=CONTROLLER
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
sasl.mechanism.controller.protocol=PLAIN
listener.name.broker.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.broker.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="kafka-broker" password="$broker_pw";
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="controller" password="$controller_pw" user_controller="$controller_pw";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:kafka-broker;User:controller;User:admin
allow.everyone.if.no.acl.found=false
log.dirs=$DATA_DIR
auto.create.topics.enable=false
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
group.initial.rebalance.delay.ms=3000
PROPS

# Client settings for the admin user: the healthcheck and operators' kafka-*.sh tools
# inside the container use them (--command-config $WORK_DIR/admin.properties).
cat >"$WORK_DIR/admin.properties" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="$admin_pw";
PROPS

# The format command, with one --add-scram per user. Set as positional parameters so
# passwords never pass through word splitting.
set -- "$KAFKA_BIN/kafka-storage.sh" format --ignore-formatted \
	--cluster-id "$CLUSTER_ID" --config "$conf" \
	--add-scram "SCRAM-SHA-512=[name=kafka-broker,password=$broker_pw]" \
	--add-scram "SCRAM-SHA-512=[name=admin,password=$admin_pw]"
for user in $SCRAM_USERS; do
	file="kafka_$(printf '%s' "$user" | tr '-' '_')_password"
	set -- "$@" --add-scram "SCRAM-SHA-512=[name=$user,password=$(secret "$file")]"
done

if [ "${DRY_RUN:-0}" = 1 ]; then
	echo "# $conf"
	cat "$conf"
	echo "# format"
	for a in "$@"; do printf '%s\n' "$a"; done
	exit 0
fi

# --ignore-formatted makes a restart keep its data; SCRAM users added here only take
# effect on the very first format. Later users are added with kafka-configs.sh (see
# deploy/README.md, "Adding a partner city").
"$@"
exec "$KAFKA_BIN/kafka-server-start.sh" "$conf"
