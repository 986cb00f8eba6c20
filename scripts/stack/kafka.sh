#!/usr/bin/env bash
# Single-node KRaft Kafka broker from Apache Kafka jars resolved from Maven Central.
# Usage: kafka.sh install|start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=kafka
DATA_DIR="$KUNLUN_STACK_DIR/kafka"
CONF="$DATA_DIR/server.properties"

install() {
  [ -f "$KAFKA_LIBS/.complete" ] && return 0
  command -v java >/dev/null || die "Java 17 is required for the Kafka broker"
  command -v mvn >/dev/null || die "Maven is required to resolve the Kafka jars"
  log "resolving Kafka $KAFKA_VERSION jars from Maven Central into $KAFKA_LIBS"
  rm -rf "$KAFKA_LIBS"; mkdir -p "$KAFKA_LIBS"
  mvn -B -q -f "$STACK_ROOT/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$KAFKA_LIBS"
  ls "$KAFKA_LIBS"/kafka_2.13-"$KAFKA_VERSION".jar >/dev/null || die "kafka_2.13-$KAFKA_VERSION.jar missing after resolve"
  touch "$KAFKA_LIBS/.complete"
}

# shellcheck disable=SC2206 # KAFKA_HEAP_OPTS is a list of JVM flags
JAVA_CMD=(java $KAFKA_HEAP_OPTS -XX:+UseG1GC -Djava.awt.headless=true
  "-Dlog4j.configuration=file:$STACK_ROOT/kafka/log4j.properties" -cp "$KAFKA_LIBS/*")
java_run() { "${JAVA_CMD[@]}" "$@"; }

write_config() {
  mkdir -p "$DATA_DIR/data"
  cat >"$CONF" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KUNLUN_BIND_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KUNLUN_BIND_HOST:$KAFKA_PORT,CONTROLLER://$KUNLUN_BIND_HOST:$KAFKA_CONTROLLER_PORT,SASL_PLAINTEXT://$KUNLUN_BIND_HOST:$KAFKA_SASL_PORT
advertised.listeners=PLAINTEXT://$KUNLUN_BIND_HOST:$KAFKA_PORT,SASL_PLAINTEXT://$KUNLUN_BIND_HOST:$KAFKA_SASL_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
inter.broker.listener.name=PLAINTEXT
log.dirs=$DATA_DIR/data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
CONF
}

start() {
  install
  if is_running "$NAME"; then log "kafka already running (pid $(pid_of $NAME))"; return 0; fi
  port_open "$KUNLUN_BIND_HOST" "$KAFKA_PORT" && die "port $KAFKA_PORT is taken by a process this stack did not start"
  write_config
  if [ ! -f "$DATA_DIR/cluster.id" ]; then java_run kafka.tools.StorageTool random-uuid >"$DATA_DIR/cluster.id"; fi
  java_run kafka.tools.StorageTool format -t "$(cat "$DATA_DIR/cluster.id")" -c "$CONF" --ignore-formatted >>"$LOG_DIR/$NAME.log" 2>&1 \
    || die "kafka storage format failed (see $LOG_DIR/$NAME.log)"
  log "starting kafka $KAFKA_VERSION on $KUNLUN_BIND_HOST:$KAFKA_PORT"
  start_bg "$NAME" "${JAVA_CMD[@]}" kafka.Kafka "$CONF"
  wait_port "$KUNLUN_BIND_HOST" "$KAFKA_PORT" 120 "$NAME"
  add_scram_user
  log "kafka ready"
}

# The SCRAM user of the SASL listener (idempotent: alter sets the same credentials again; one
# mechanism per request, the broker refuses two changes to one user in a request).
add_scram_user() {
  local mechanism
  for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
    java_run kafka.admin.ConfigCommand --bootstrap-server "$KUNLUN_BIND_HOST:$KAFKA_PORT" --alter --entity-type users --entity-name "$KAFKA_SASL_TEST_USER" \
      --add-config "$mechanism=[password=$KAFKA_SASL_TEST_PASSWORD]" >>"$LOG_DIR/$NAME.log" 2>&1 \
      || die "could not create the $mechanism user $KAFKA_SASL_TEST_USER (see $LOG_DIR/$NAME.log)"
  done
}

status() {
  if is_running "$NAME" && port_open "$KUNLUN_BIND_HOST" "$KAFKA_PORT"; then
    echo "kafka: up (pid $(pid_of $NAME), $KUNLUN_BIND_HOST:$KAFKA_PORT)"
  else
    echo "kafka: down"; return 1
  fi
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop_pid "$NAME" ;;
  status) status ;;
  *) die "usage: $0 install|start|stop|status" ;;
esac
