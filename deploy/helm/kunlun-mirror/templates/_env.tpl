{{/*
The container env of one component. Argument: dict root component.
Non-secret shared settings come from the chart's ConfigMap, credentials from Secrets,
component settings are literal. Only the variables a component reads are set (the chart test
parses every pod's env with its service's config schema).
*/}}
{{- define "kunlun.env" -}}
{{- $root := .root -}}
{{- $c := .component -}}
{{- $v := $root.Values -}}
{{- $cv := $c.values -}}
- name: LOG_LEVEL
  value: {{ $cv.logLevel | quote }}
- name: TMPDIR
  value: /tmp
{{- if $v.caBundle.existingSecret }}
- name: NODE_EXTRA_CA_CERTS
  value: /etc/kunlun/ca-bundle/{{ $v.caBundle.key }}
{{- end }}
{{- if ne $c.kind "gateway" }}
- name: METRICS_PORT
  value: {{ $v.metrics.port | quote }}
{{- end }}
{{- $config := include "kunlun.configData" $root | fromYaml -}}
{{- $prefixes := list -}}
{{- if include "kunlun.usesTemporal" (dict "component" $c) }}{{ $prefixes = append $prefixes "TEMPORAL_" }}{{ end -}}
{{- if include "kunlun.usesKafka" (dict "component" $c) }}{{ $prefixes = append $prefixes "KAFKA_" }}{{ end -}}
{{- if include "kunlun.usesRedis" (dict "component" $c "llm" $v.agents.llm.baseUrl) }}{{ $prefixes = append $prefixes "REDIS_" }}{{ end -}}
{{- if include "kunlun.usesBlobs" (dict "component" $c) }}{{ $prefixes = concat $prefixes (list "BLOB_" "CLAIM_CHECK_") }}{{ end -}}
{{- range $name := keys $config | sortAlpha }}
{{- range $prefix := $prefixes }}
{{- if hasPrefix $prefix $name }}
{{ include "kunlun.configEnv" (dict "root" $root "name" $name) }}
{{- end }}
{{- end }}
{{- end }}
{{- if include "kunlun.usesTemporal" (dict "component" $c) }}
{{- include "kunlun.secretEnv" (dict "root" $root "name" "TEMPORAL_API_KEY" "setting" $v.temporal.apiKey) }}
{{- end }}
{{- if and (include "kunlun.usesKafka" (dict "component" $c)) $v.kafka.sasl.enabled }}
{{- include "kunlun.secretEnv" (dict "root" $root "name" "KAFKA_SASL_PASSWORD" "setting" $v.kafka.sasl.password) }}
{{- end }}
{{- if include "kunlun.usesRedis" (dict "component" $c "llm" $v.agents.llm.baseUrl) }}
{{- include "kunlun.secretEnv" (dict "root" $root "name" "REDIS_PASSWORD" "setting" $v.redis.password) }}
{{- /* After REDIS_USERNAME / REDIS_PASSWORD: the kubelet expands $(VAR) only from variables defined earlier. */}}
- name: REDIS_URL
  value: {{ include "kunlun.redisUrl" $root | quote }}
{{- end }}
{{- if and (include "kunlun.usesBlobs" (dict "component" $c)) (eq $v.blobs.store "s3") }}
{{- include "kunlun.secretEnv" (dict "root" $root "name" "BLOB_S3_ACCESS_KEY_ID" "setting" $v.blobs.s3.accessKeyId) }}
{{- include "kunlun.secretEnv" (dict "root" $root "name" "BLOB_S3_SECRET_ACCESS_KEY" "setting" $v.blobs.s3.secretAccessKey) }}
{{- end }}
{{- if eq $c.kind "worker" }}
- name: BUILD_ID
  value: {{ include "kunlun.imageTag" (dict "root" $root "component" $c) | quote }}
- name: TEMPORAL_SDK_METRICS_PORT
  value: {{ ternary $v.metrics.sdkPort 0 $v.metrics.sdkMetrics | quote }}
{{- end }}
{{- if eq $c.id "orchestrator" }}
- name: MAX_CACHED_WORKFLOWS
  value: {{ $cv.maxCachedWorkflows | quote }}
{{- /*
Bundling the workflow code at start-up loads @swc/core, whose native addon is unpacked into a
cache directory first. It refuses a cache whose parent is writable by others without the sticky
bit, which is what an emptyDir /tmp is (0777): point it into /tmp and waive that check, which
guards against other users of a shared machine (a pod runs one user).
*/}}
- name: SWC_NATIVE_BINDING_CACHE
  value: /tmp/swc-native
- name: SWC_NATIVE_BINDING_CACHE_SKIP_SECURITY_CHECK
  value: "1"
{{- end }}
{{- if $c.agent }}
- name: MAX_CONCURRENT_ACTIVITIES
  value: {{ $cv.maxConcurrentActivities | quote }}
{{- if $c.pool }}
- name: CRITIC_POOL
  value: {{ $c.pool | quote }}
{{- end }}
{{- with $v.agents.llm }}
{{- if .baseUrl }}
- name: LLM_BASE_URL
  value: {{ .baseUrl | quote }}
- name: LLM_MODEL
  value: {{ .model | quote }}
- name: LLM_TIMEOUT_MS
  value: {{ .timeoutMs | quote }}
- name: LLM_STREAM
  value: {{ .stream | quote }}
{{- if .prices }}
- name: LLM_PRICES
  value: {{ .prices | toJson | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- include "kunlun.secretEnv" (dict "root" $root "name" "LLM_API_KEY" "setting" $v.agents.llm.apiKey) }}
{{- end }}
{{- if eq $c.kind "recorder" }}
- name: RECORDER_GROUP_ID
  value: {{ $cv.groupId | quote }}
- name: RECORDER_PARTITION_CONCURRENCY
  value: {{ $cv.partitionConcurrency | quote }}
- name: RECORDER_SESSION_TIMEOUT_MS
  value: {{ $cv.sessionTimeoutMs | quote }}
{{- end }}
{{- if eq $c.kind "gateway" }}
- name: HOST
  value: {{ $cv.host | quote }}
- name: PORT
  value: {{ $cv.port | quote }}
- name: CORS_ORIGINS
  value: {{ join "," $cv.corsOrigins | quote }}
- name: RATE_LIMIT_PER_MINUTE
  value: {{ $cv.rateLimitPerMinute | quote }}
- name: CRITIC_POOLS
  value: {{ include "kunlun.criticPoolNames" $root | quote }}
- name: RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE
  value: {{ $cv.rateLimitUnauthenticatedPerMinute | quote }}
- name: JWT_MAX_LIFETIME_SECONDS
  value: {{ $cv.auth.jwtMaxLifetimeSeconds | quote }}
{{- with $cv.auth.jwtIssuers }}
- name: JWT_ISSUER
  value: {{ join "," . | quote }}
{{- end }}
{{- with $cv.auth.jwtAudiences }}
- name: JWT_AUDIENCE
  value: {{ join "," . | quote }}
{{- end }}
- name: BODY_LIMIT_BYTES
  value: {{ $cv.bodyLimitBytes | quote }}
{{- if and $cv.ingress.enabled (eq (toString $cv.trustProxy) "false") }}
{{- fail "gateway.ingress is enabled but gateway.trustProxy is false: every client would be counted as the ingress's address (one client's failed logins would lock out everyone). Set trustProxy to 1 (one ingress in front) or to the ingress pods' address range" }}
{{- end }}
- name: TRUST_PROXY
  value: {{ kindIs "slice" $cv.trustProxy | ternary (join "," $cv.trustProxy) (toString $cv.trustProxy) | quote }}
- name: JWT_CLOCK_SKEW_SECONDS
  value: {{ $cv.auth.jwtClockSkewSeconds | quote }}
{{- with $cv.auth.jwksUrl }}
{{- if or $cv.auth.jwtSecret.value $cv.auth.jwtSecret.existingSecret $cv.auth.jwtPublicKey.existingSecret }}
{{- fail "gateway.auth: set one of jwtSecret, jwtPublicKey, jwksUrl (the gateway checks tokens one way)" }}
{{- end }}
{{- if not $cv.auth.jwtAudiences }}
{{- fail "gateway.auth.jwksUrl needs gateway.auth.jwtAudiences: an identity provider signs tokens for many services, and one meant for another must not open this API" }}
{{- end }}
- name: JWT_JWKS_URL
  value: {{ . | quote }}
{{- end }}
{{- with $cv.auth.jwtPublicKey }}
{{- if .existingSecret }}
{{- if or $cv.auth.jwtSecret.value $cv.auth.jwtSecret.existingSecret }}
{{- fail "gateway.auth: set jwtSecret or jwtPublicKey, not both (the gateway checks tokens one way)" }}
{{- end }}
{{- if not $cv.auth.jwtAudiences }}
{{- fail "gateway.auth.jwtPublicKey needs gateway.auth.jwtAudiences: an identity provider signs tokens for many services, and one meant for another must not open this API" }}
{{- end }}
- name: JWT_PUBLIC_KEY_FILE
  value: {{ printf "/etc/kunlun/jwt/%s" .existingSecretKey | quote }}
{{- end }}
{{- end }}
{{- include "kunlun.secretEnv" (dict "root" $root "name" "API_KEYS" "setting" $cv.auth.apiKeys) }}
{{- include "kunlun.secretEnv" (dict "root" $root "name" "JWT_SECRET" "setting" $cv.auth.jwtSecret) }}
{{- end }}
{{- with $cv.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes (and their mounts) of one component: /tmp, and the TLS material it uses. Argument: dict root component mounts(bool). */}}
{{- define "kunlun.volumes" -}}
{{- $root := .root -}}
{{- $c := .component -}}
{{- $v := $root.Values -}}
{{- $mounts := .mounts -}}
{{- if $mounts }}
- name: tmp
  mountPath: /tmp
{{- else }}
- name: tmp
  emptyDir:
    sizeLimit: {{ $c.values.tmpSizeLimit }}
{{- end }}
{{- if $v.caBundle.existingSecret }}
{{- if $mounts }}
- name: ca-bundle
  mountPath: /etc/kunlun/ca-bundle
  readOnly: true
{{- else }}
- name: ca-bundle
  secret:
    secretName: {{ $v.caBundle.existingSecret }}
{{- end }}
{{- end }}
{{- if and (include "kunlun.usesTemporal" (dict "component" $c)) $v.temporal.tls.enabled $v.temporal.tls.existingSecret }}
{{- if $mounts }}
- name: temporal-tls
  mountPath: /etc/kunlun/temporal-tls
  readOnly: true
{{- else }}
- name: temporal-tls
  secret:
    secretName: {{ $v.temporal.tls.existingSecret }}
{{- end }}
{{- end }}
{{- if and (eq $c.kind "gateway") $v.gateway.auth.jwtPublicKey.existingSecret }}
{{- if $mounts }}
- name: jwt-public-key
  mountPath: /etc/kunlun/jwt
  readOnly: true
{{- else }}
- name: jwt-public-key
  secret:
    secretName: {{ $v.gateway.auth.jwtPublicKey.existingSecret }}
{{- end }}
{{- end }}
{{- if and (include "kunlun.usesBlobs" (dict "component" $c)) (eq $v.blobs.store "local") }}
{{- if $mounts }}
- name: blobs
  mountPath: /var/lib/kunlun/blobs
{{- else }}
- name: blobs
  persistentVolumeClaim:
    claimName: {{ $v.blobs.local.existingClaim }}
{{- end }}
{{- end }}
{{- if and (include "kunlun.usesKafka" (dict "component" $c)) $v.kafka.tls.enabled $v.kafka.tls.existingSecret }}
{{- if $mounts }}
- name: kafka-tls
  mountPath: /etc/kunlun/kafka-tls
  readOnly: true
{{- else }}
- name: kafka-tls
  secret:
    secretName: {{ $v.kafka.tls.existingSecret }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
The chart ConfigMap's data: shared, non-secret connection settings. Env vars are taken from
here by prefix (TEMPORAL_, KAFKA_, REDIS_) for the components that use each system.
*/}}
{{- define "kunlun.configData" -}}
{{- $v := .Values -}}
TEMPORAL_ADDRESS: {{ $v.temporal.address | quote }}
TEMPORAL_NAMESPACE: {{ $v.temporal.namespace | quote }}
{{- with $v.temporal.tls }}
{{- if .enabled }}
TEMPORAL_TLS: "true"
{{- if .serverName }}
TEMPORAL_TLS_SERVER_NAME: {{ .serverName | quote }}
{{- end }}
{{- if and .existingSecret .caKey }}
TEMPORAL_TLS_CA_FILE: {{ printf "/etc/kunlun/temporal-tls/%s" .caKey | quote }}
{{- end }}
{{- if and .existingSecret .certKey .keyKey }}
TEMPORAL_TLS_CERT_FILE: {{ printf "/etc/kunlun/temporal-tls/%s" .certKey | quote }}
TEMPORAL_TLS_KEY_FILE: {{ printf "/etc/kunlun/temporal-tls/%s" .keyKey | quote }}
{{- end }}
{{- end }}
{{- end }}
KAFKA_BROKERS: {{ join "," $v.kafka.brokers | quote }}
KAFKA_CLIENT_ID: {{ $v.kafka.clientId | quote }}
KAFKA_MAX_MESSAGE_BYTES: {{ $v.kafka.maxMessageBytes | int64 | quote }}
KAFKA_TOPIC_REPLICATION_FACTOR: {{ $v.kafka.topicReplicationFactor | quote }}
{{- with $v.kafka.tls }}
{{- if .enabled }}
KAFKA_SSL: "true"
{{- if and .existingSecret .caKey }}
KAFKA_SSL_CA_FILE: {{ printf "/etc/kunlun/kafka-tls/%s" .caKey | quote }}
{{- end }}
{{- if and .existingSecret .certKey .keyKey }}
KAFKA_SSL_CERT_FILE: {{ printf "/etc/kunlun/kafka-tls/%s" .certKey | quote }}
KAFKA_SSL_KEY_FILE: {{ printf "/etc/kunlun/kafka-tls/%s" .keyKey | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- with $v.kafka.sasl }}
{{- if .enabled }}
KAFKA_SASL_MECHANISM: {{ .mechanism | quote }}
KAFKA_SASL_USERNAME: {{ required "kafka.sasl.username is required when kafka.sasl.enabled" .username | quote }}
{{- end }}
{{- end }}
{{- if $v.redis.username }}
REDIS_USERNAME: {{ $v.redis.username | quote }}
{{- end }}
{{- with $v.redis.clusterNodes }}
{{- if not (has (urlParse $v.redis.url).path (list "" "/" "/0")) }}
{{- fail (printf "redis.url %s names a database, but a Redis Cluster has only database 0 (with redis.clusterNodes the URL gives only the scheme)" $v.redis.url) }}
{{- end }}
REDIS_CLUSTER_NODES: {{ join "," . | quote }}
{{- end }}
{{- with $v.blobs }}
BLOB_STORE: {{ .store | quote }}
{{- if ne .store "none" }}
CLAIM_CHECK_MIN_BYTES: {{ .claimCheckMinBytes | int64 | quote }}
{{- end }}
{{- if eq .store "s3" }}
BLOB_S3_ENDPOINT: {{ required "blobs.s3.endpoint is required with blobs.store s3 (https://s3.<region>.amazonaws.com for AWS S3)" .s3.endpoint | quote }}
BLOB_S3_BUCKET: {{ .s3.bucket | quote }}
BLOB_S3_REGION: {{ .s3.region | quote }}
BLOB_S3_FORCE_PATH_STYLE: {{ .s3.forcePathStyle | quote }}
{{- if ne (include "kunlun.hasSecret" .s3.accessKeyId) (include "kunlun.hasSecret" .s3.secretAccessKey) }}
{{- fail "blobs.s3: set both accessKeyId and secretAccessKey, or neither (then the AWS SDK's default credential chain applies)" }}
{{- end }}
{{- else if eq .store "local" }}
{{- if not .local.existingClaim }}
{{- fail "blobs.local.existingClaim is required with blobs.store local: a ReadWriteMany PersistentVolumeClaim every agent and gateway pod mounts (each pod's own disk would hide one pod's texts from the others)" }}
{{- end }}
BLOB_LOCAL_DIR: /var/lib/kunlun/blobs
{{- end }}
{{- end }}
{{- end -}}
