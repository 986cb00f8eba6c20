#!/usr/bin/env bash
# Single-node KRaft Kafka broker from Apache Kafka jars resolved from Maven Central.
# Usage: kafka.sh install|start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NAME=kafka
DATA_DIR="$KUNLUN_STACK_DIR/kafka"
CONF="$DATA_DIR/server.properties"
TLS_DIR="$DATA_DIR/tls"

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

# A test CA, the broker's certificate (for 127.0.0.1 and localhost) and a client certificate,
# for the SSL listener; made once per stack dir with openssl.
write_tls() {
  [ -f "$TLS_DIR/client.crt" ] && return 0
  command -v openssl >/dev/null || die "openssl is required for the Kafka TLS listener (scripts/setup.sh installs it)"
  mkdir -p "$TLS_DIR"
  local key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${key[@]}" -keyout "$TLS_DIR/ca.key" -out "$TLS_DIR/ca.crt" -days 3650 -subj /CN=kunlun-local-test-ca 2>/dev/null
  for leaf in broker client; do
    openssl req "${key[@]}" -keyout "$TLS_DIR/$leaf.key" -out "$TLS_DIR/$leaf.csr" -subj "/CN=kunlun-local-$leaf" 2>/dev/null
    if [ "$leaf" = broker ]; then
      printf 'subjectAltName=IP:%s,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$KUNLUN_BIND_HOST" >"$TLS_DIR/$leaf.ext"
    else
      printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n' >"$TLS_DIR/$leaf.ext"
    fi
    openssl x509 -req -in "$TLS_DIR/$leaf.csr" -CA "$TLS_DIR/ca.crt" -CAkey "$TLS_DIR/ca.key" -CAcreateserial \
      -out "$TLS_DIR/$leaf.crt" -days 3650 -extfile "$TLS_DIR/$leaf.ext" 2>/dev/null || die "could not make the $leaf certificate"
  done
  cat "$TLS_DIR/broker.key" "$TLS_DIR/broker.crt" >"$TLS_DIR/broker.pem"
}

write_config() {
  write_tls
  mkdir -p "$DATA_DIR/data"
  cat >"$CONF" <<CONF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KUNLUN_BIND_HOST:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://$KUNLUN_BIND_HOST:$KAFKA_PORT,CONTROLLER://$KUNLUN_BIND_HOST:$KAFKA_CONTROLLER_PORT,SASL_PLAINTEXT://$KUNLUN_BIND_HOST:$KAFKA_SASL_PORT,SSL://$KUNLUN_BIND_HOST:$KAFKA_SSL_PORT
advertised.listeners=PLAINTEXT://$KUNLUN_BIND_HOST:$KAFKA_PORT,SASL_PLAINTEXT://$KUNLUN_BIND_HOST:$KAFKA_SASL_PORT,SSL://$KUNLUN_BIND_HOST:$KAFKA_SSL_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.location=$TLS_DIR/broker.pem
listener.name.ssl.ssl.truststore.type=PEM
listener.name.ssl.ssl.truststore.location=$TLS_DIR/ca.crt
listener.name.ssl.ssl.client.auth=required
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
