{{/* Chart name, truncated to 63 characters (a label value's limit). */}}
{{- define "kunlun.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every resource name: <release>-<chart>, or the release alone when it already contains the chart name. */}}
{{- define "kunlun.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "kunlun.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every resource. */}}
{{- define "kunlun.labels" -}}
helm.sh/chart: {{ include "kunlun.chart" . }}
app.kubernetes.io/name: {{ include "kunlun.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kunlun-mirror
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of one component (never the version: selectors are immutable). Argument: dict root component. */}}
{{- define "kunlun.selectorLabels" -}}
app.kubernetes.io/name: {{ include "kunlun.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component.id }}
{{- end -}}

{{/* Labels of one component's resources. Argument: dict root component. */}}
{{- define "kunlun.componentLabels" -}}
{{ include "kunlun.labels" .root }}
app.kubernetes.io/component: {{ .component.id }}
{{- end -}}

{{/* Name of one component's resources: <fullname>-<component id>, at most 63 characters. Argument: dict root component. */}}
{{- define "kunlun.componentName" -}}
{{- $name := printf "%s-%s" (include "kunlun.fullname" .root) .component.id -}}
{{- if gt (len $name) 63 -}}
{{- fail (printf "resource name %q is longer than 63 characters: shorten the release name, fullnameOverride or the critic pool name" $name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{- define "kunlun.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kunlun.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
Deep merge of two maps where the second wins, including for false, 0 and "" (sprig's
mergeOverwrite skips those). Lists are replaced, not merged. Argument: dict base over.
Returns YAML; call as: fromYaml (include "kunlun.deepMerge" (dict "base" $a "over" $b)).
*/}}
{{- define "kunlun.deepMerge" -}}
{{- $out := deepCopy (.base | default dict) -}}
{{- range $key, $value := (.over | default dict) -}}
{{- $current := get $out $key -}}
{{- if and (kindIs "map" $value) (kindIs "map" $current) -}}
{{- $_ := set $out $key (fromYaml (include "kunlun.deepMerge" (dict "base" $current "over" $value))) -}}
{{- else -}}
{{- $_ := set $out $key $value -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/*
Every component the chart deploys, as YAML {items: [...]}; templates loop over this list
(one Deployment template for all, as in Temporal's chart). Each item:
  id         name suffix and app.kubernetes.io/component (e.g. agent-critic-strict)
  service    the source service (services/<service>) and Dockerfile target
  kind       worker (Temporal worker), recorder or gateway
  taskQueue  the Temporal task queue a worker polls
  agent      true for agent roles and critic pools (these autoscale)
  pool       the critic pool, for critic pools
  values     the component's settings: .Values.defaults deep-merged with its own block
*/}}
{{- define "kunlun.components" -}}
{{- $root := . -}}
{{- $v := .Values -}}
{{- $items := list -}}
{{- $items = append $items (dict "id" "orchestrator" "service" "orchestrator" "kind" "worker" "taskQueue" "kunlun.orchestrator" "agent" false "values" (fromYaml (include "kunlun.deepMerge" (dict "base" $v.defaults "over" $v.orchestrator)))) -}}
{{- range $role := list "analyzer" "proposer" "evaluator" -}}
{{- $agent := get $v.agents $role -}}
{{- $items = append $items (dict "id" (printf "agent-%s" $role) "service" (printf "agent-%s" $role) "kind" "worker" "taskQueue" (printf "kunlun.agent.%s" $role) "agent" true "role" $role "values" (fromYaml (include "kunlun.deepMerge" (dict "base" $v.defaults "over" $agent)))) -}}
{{- end -}}
{{- $seen := dict -}}
{{- if not $v.critics.pools -}}
{{- fail "critics.pools must list at least one pool (the workflows send each critic to its pool's task queue kunlun.agent.critic.<pool>)" -}}
{{- end -}}
{{- range $pool := $v.critics.pools -}}
{{- if hasKey $seen $pool.name -}}
{{- fail (printf "critics.pools: pool name %q appears twice (each pool is one Deployment polling kunlun.agent.critic.<name>)" $pool.name) -}}
{{- end -}}
{{- $_ := set $seen $pool.name true -}}
{{- $poolDefaults := fromYaml (include "kunlun.deepMerge" (dict "base" $v.defaults "over" $v.critics.poolDefaults)) -}}
{{- $values := fromYaml (include "kunlun.deepMerge" (dict "base" $poolDefaults "over" (omit $pool "name"))) -}}
{{- $items = append $items (dict "id" (printf "agent-critic-%s" $pool.name) "service" "agent-critic" "kind" "worker" "taskQueue" (printf "kunlun.agent.critic.%s" $pool.name) "agent" true "role" "critic" "pool" $pool.name "values" $values) -}}
{{- end -}}
{{- $items = append $items (dict "id" "recorder" "service" "recorder" "kind" "recorder" "agent" false "values" (fromYaml (include "kunlun.deepMerge" (dict "base" $v.defaults "over" $v.recorder)))) -}}
{{- $items = append $items (dict "id" "gateway" "service" "gateway" "kind" "gateway" "agent" false "values" (fromYaml (include "kunlun.deepMerge" (dict "base" $v.defaults "over" $v.gateway)))) -}}
{{- toYaml (dict "items" $items) -}}
{{- end -}}

{{/* The image of one component: <image.registry>/<repository>:<tag>. Argument: dict root component. */}}
{{- define "kunlun.image" -}}
{{- $image := .component.values.image | default dict -}}
{{- $registry := .root.Values.image.registry -}}
{{- $repository := required (printf "%s: image.repository is required" .component.id) $image.repository -}}
{{- $tag := include "kunlun.imageTag" . -}}
{{- if $registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) $repository $tag -}}
{{- else -}}
{{- printf "%s:%s" $repository $tag -}}
{{- end -}}
{{- end -}}

{{/* A component's image tag: its own, else image.tag, else the chart's appVersion. Argument: dict root component. */}}
{{- define "kunlun.imageTag" -}}
{{- $image := .component.values.image | default dict -}}
{{- coalesce $image.tag .root.Values.image.tag .root.Chart.AppVersion | toString -}}
{{- end -}}

{{/* Does the component talk to Temporal / Kafka / Redis? Argument: dict component; returns "true" or "". */}}
{{- define "kunlun.usesTemporal" -}}{{- if ne .component.kind "recorder" -}}true{{- end -}}{{- end -}}
{{- /* The gateway reads the events topic for GET /v1/simulations/:id/verify (consistency check). */ -}}
{{- define "kunlun.usesKafka" -}}{{- if or (eq .component.id "orchestrator") (eq .component.kind "recorder") (eq .component.kind "gateway") -}}true{{- end -}}{{- end -}}
{{- /* Agents on an LLM publish streamed tokens to Redis pub/sub and keep reuse records there without a blob store. */ -}}
{{- define "kunlun.usesRedis" -}}{{- if or (eq .component.kind "recorder") (eq .component.kind "gateway") (and .component.agent .llm) -}}true{{- end -}}{{- end -}}
{{- /* Agents write large texts to the blob store, the gateway reads them. */ -}}
{{- define "kunlun.usesBlobs" -}}{{- if or .component.agent (eq .component.kind "gateway") -}}true{{- end -}}{{- end -}}

{{/*
One env var from a credential setting {value, existingSecret, existingSecretKey}: from your
Secret when existingSecret is set, else from the chart's Secret (key = the env var's name)
when value is set, else nothing. Argument: dict root name setting.
*/}}
{{- define "kunlun.secretEnv" -}}
{{- $s := .setting | default dict -}}
{{- if $s.existingSecret }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ $s.existingSecret }}
      key: {{ required (printf "%s: existingSecretKey is required with existingSecret" .name) $s.existingSecretKey }}
{{- else if $s.value }}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "kunlun.fullname" .root }}
      key: {{ .name }}
{{- end }}
{{- end -}}

{{/* True ("true") when a credential setting has a value or a Secret reference. */}}
{{- define "kunlun.hasSecret" -}}
{{- $s := . | default dict -}}
{{- if or $s.existingSecret $s.value -}}true{{- end -}}
{{- end -}}

{{/* An env var read from the chart's ConfigMap. Argument: dict root name. */}}
{{- define "kunlun.configEnv" -}}
- name: {{ .name }}
  valueFrom:
    configMapKeyRef:
      name: {{ include "kunlun.fullname" .root }}
      key: {{ .name }}
{{- end -}}

{{/* The Redis URL with scheme from redis.tls.enabled and, when set, credentials expanded by the kubelet from REDIS_USERNAME / REDIS_PASSWORD. */}}
{{- define "kunlun.redisUrl" -}}
{{- $r := .Values.redis -}}
{{- $u := urlParse $r.url -}}
{{- $scheme := ternary "rediss" $u.scheme $r.tls.enabled -}}
{{- $auth := "" -}}
{{- if include "kunlun.hasSecret" $r.password -}}
{{- $auth = printf "%s:$(REDIS_PASSWORD)@" (ternary "$(REDIS_USERNAME)" "" (not (empty $r.username))) -}}
{{- end -}}
{{- printf "%s://%s%s%s" $scheme $auth $u.host $u.path -}}
{{- if $u.query }}?{{ $u.query }}{{ end -}}
{{- end -}}

{{/* The critic pools' names, comma-separated: the gateway refuses critics sent to any other pool (CRITIC_POOLS). */}}
{{- define "kunlun.criticPoolNames" -}}
{{- $names := list -}}
{{- range .Values.critics.pools -}}{{- $names = append $names .name -}}{{- end -}}
{{- join "," $names -}}
{{- end -}}
