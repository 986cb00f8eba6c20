// Checks of the Helm chart (deploy/helm/kunlun-mirror) and the image build file (deploy/docker):
// `helm lint` and `helm template` for the default values and the chart's ci/ values files, every
// rendered manifest validated against the Kubernetes, KEDA and prometheus-operator schemas
// (kubernetes-models), every Deployment's env parsed by the service's own config schema, bad
// values rejected by values.schema.json with its message, and the Dockerfile's paths.
// Needs no stack. Installs helm with scripts/tools/helm.sh when it is missing (first time: minutes).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { kedaSh } from '@kubernetes-models/keda';
import { agentEnv } from '@kunlun/agents';
import { createBlobStore } from '@kunlun/blobs';
import { blobEnv, kafkaEnv, loadConfig, logEnv, metricsEnv, redisEnv } from '@kunlun/config';
import {
  agentTaskQueue,
  CRITIC_POOL_PATTERN,
  ORCHESTRATOR_TASK_QUEUE,
  SEARCH_ATTRIBUTE_REGISTRATIONS,
  TOPIC_SPECS,
} from '@kunlun/contracts';
import { gatewayEnv } from '@kunlun/gateway';
import { workerEnv } from '@kunlun/worker-kit';
import { apps, autoscaling, networkingK8sIo, policy, v1 } from 'kubernetes-models';
import { parse, parseAllDocuments } from 'yaml';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
/** KUNLUN_CHART_DIR renders a copy of the chart instead (e.g. one whose dashboards/ and rules/ links point elsewhere). */
const chartDir = process.env.KUNLUN_CHART_DIR ?? join(repoRoot, 'deploy/helm/kunlun-mirror');
const ciValues = (name: string) => join(chartDir, 'ci', name);

type Model = new (data: any) => { validate(): void };
// This package's "exports" carry no types for ESM imports: load its CommonJS build and type what is used.
const { monitoringCoreosCom } = createRequire(import.meta.url)('@kubernetes-models/prometheus-operator') as {
  monitoringCoreosCom: { v1: { ServiceMonitor: Model; PrometheusRule: Model } };
};

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: any;
};

// Every kind the chart may render, with the model whose schema validates it.
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': v1.ConfigMap,
  'v1/Secret': v1.Secret,
  'v1/Service': v1.Service,
  'v1/ServiceAccount': v1.ServiceAccount,
  'apps/v1/Deployment': apps.v1.Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': autoscaling.v2.HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': policy.v1.PodDisruptionBudget,
  'networking.k8s.io/v1/Ingress': networkingK8sIo.v1.Ingress,
  'keda.sh/v1alpha1/ScaledObject': kedaSh.v1alpha1.ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': kedaSh.v1alpha1.TriggerAuthentication,
  'monitoring.coreos.com/v1/ServiceMonitor': monitoringCoreosCom.v1.ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': monitoringCoreosCom.v1.PrometheusRule,
};

// The env each service parses at start-up (its zod shape). @kunlun/recorder does not export its
// shape: its shared fragments are parsed, and its own variable names are read from its env.ts.
const RECORDER_OWN = [
  ...readFileSync(join(repoRoot, 'services/recorder/src/env.ts'), 'utf8').matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm),
].map((m) => m[1]!);
const SHAPES: Record<string, Record<string, any>> = {
  orchestrator: { ...workerEnv, ...kafkaEnv },
  agent: agentEnv,
  recorder: { ...kafkaEnv, ...redisEnv, ...logEnv, ...metricsEnv },
  gateway: gatewayEnv,
};
// Variables the chart sets that no service schema reads: Node's and @swc/core's (the orchestrator's
// workflow bundler), and the Redis credentials, which reach the services inside REDIS_URL.
const NODE_VARS = [
  'TMPDIR',
  'NODE_EXTRA_CA_CERTS',
  'NODE_OPTIONS',
  'SWC_NATIVE_BINDING_CACHE',
  'SWC_NATIVE_BINDING_CACHE_SKIP_SECURITY_CHECK',
];
const VIA_REDIS_URL = ['REDIS_USERNAME', 'REDIS_PASSWORD']; // read through REDIS_URL, into which the kubelet expands them

let helmBin = '';
const scratch = mkdtempSync(join(tmpdir(), 'kunlun-helm-'));

function helm(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(helmBin, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // Helm notes every symbolic link it follows (dashboards/, rules/); that is expected.
  const stderr = r.stderr
    .split('\n')
    .filter((l) => !l.includes('found symbolic link in path'))
    .join('\n');
  return { status: r.status ?? -1, stdout: r.stdout, stderr };
}

function render(valuesFiles: string[] = [], extra: string[] = []): Manifest[] {
  const r = helm([
    'template',
    'kunlun-mirror',
    chartDir,
    '--namespace',
    'sims',
    ...valuesFiles.flatMap((f) => ['-f', f]),
    ...extra,
  ]);
  assert.equal(r.status, 0, `helm template failed:\n${r.stderr}`);
  const docs = parseAllDocuments(r.stdout);
  for (const d of docs)
    assert.deepEqual(d.errors, [], `rendered YAML does not parse: ${d.errors.map(String).join('; ')}`);
  return docs.map((d) => d.toJS() as Manifest | null).filter((m): m is Manifest => m !== null);
}

const ofKind = (ms: Manifest[], kind: string) => ms.filter((m) => m.kind === kind);
const named = (ms: Manifest[], kind: string, name: string) => {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(m, `${kind} ${name} not rendered`);
  return m;
};
const component = (m: Manifest) => m.metadata.labels?.['app.kubernetes.io/component'] ?? '';
const container = (d: Manifest) => d.spec.template.spec.containers[0];

function validateAll(ms: Manifest[]): void {
  for (const m of ms) {
    const Model = MODELS[`${m.apiVersion}/${m.kind}`];
    assert.ok(Model, `no schema for ${m.apiVersion} ${m.kind} (${m.metadata.name}): add it to MODELS`);
    assert.doesNotThrow(
      () => new Model(m).validate(),
      (err: unknown) => `${m.kind} ${m.metadata.name}: ${String(err)}`,
    );
  }
}

/** A Deployment's env as its process would see it: ConfigMap and Secret references resolved, $(VAR) expanded. */
function resolveEnv(d: Manifest, ms: Manifest[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of container(d).env as Array<{ name: string; value?: string; valueFrom?: any }>) {
    if (e.value !== undefined) {
      env[e.name] = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env[name] ?? whole);
    } else if (e.valueFrom?.configMapKeyRef) {
      const ref = e.valueFrom.configMapKeyRef;
      const value = named(ms, 'ConfigMap', ref.name).data?.[ref.key];
      assert.equal(typeof value, 'string', `${d.metadata.name}: ConfigMap ${ref.name} has no key ${ref.key}`);
      env[e.name] = value;
    } else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef;
      const own = ms.find((m) => m.kind === 'Secret' && m.metadata.name === ref.name);
      if (own) {
        assert.ok(own.data?.[ref.key], `${d.metadata.name}: the chart's Secret has no key ${ref.key}`);
        env[e.name] = Buffer.from(own.data[ref.key], 'base64').toString('utf8');
      } else {
        // A Secret the operator manages: stand in a value of the right shape.
        env[e.name] =
          e.name === 'API_KEYS'
            ? 'placeholder-key-0123456789=demo:operator'
            : 'placeholder-secret-value-0123456789abcdef';
      }
    } else {
      assert.fail(`${d.metadata.name}: env ${e.name} has no value and no supported valueFrom`);
    }
  }
  return env;
}

function shapeOf(d: Manifest): { shape: Record<string, any>; extra: string[] } {
  const id = component(d);
  if (id === 'orchestrator') return { shape: SHAPES.orchestrator!, extra: [] };
  if (id.startsWith('agent-')) return { shape: SHAPES.agent!, extra: [] };
  if (id === 'recorder') return { shape: SHAPES.recorder!, extra: RECORDER_OWN };
  if (id === 'gateway') return { shape: SHAPES.gateway!, extra: [] };
  return assert.fail(`unknown component ${id}`);
}

/** Every variable is one the service reads (or a documented exception) and the service's config schema accepts the lot. */
function checkEnv(ms: Manifest[]): void {
  for (const d of ofKind(ms, 'Deployment')) {
    const env = resolveEnv(d, ms);
    const { shape, extra } = shapeOf(d);
    for (const name of Object.keys(env)) {
      assert.ok(
        name in shape || extra.includes(name) || NODE_VARS.includes(name) || VIA_REDIS_URL.includes(name),
        `${d.metadata.name} sets ${name}, which its service does not read`,
      );
    }
    for (const v of Object.values(env))
      assert.doesNotMatch(v, /\$\(/, `${d.metadata.name}: unexpanded reference in ${v}`);
    assert.doesNotThrow(
      () => loadConfig(shape, env),
      (err: unknown) => `${d.metadata.name}: ${String(err)}`,
    );
    // The rules an env shape cannot state (a local store's directory, keys in pairs) are checked
    // when a service builds its store at start-up: build it here the same way (no request is sent).
    if ('BLOB_STORE' in shape && env.BLOB_STORE !== 'none') {
      assert.doesNotThrow(
        () => createBlobStore(loadConfig(blobEnv, env)),
        (err: unknown) => `${d.metadata.name}: ${String(err)}`,
      );
    }
  }
}

/** The settings every pod must have: security context, /tmp, probes on the right endpoints, a Service and a PDB. */
function checkPods(ms: Manifest[]): void {
  for (const d of ofKind(ms, 'Deployment')) {
    const pod = d.spec.template.spec;
    const c = container(d);
    const name = d.metadata.name;
    assert.equal(pod.securityContext.runAsNonRoot, true, `${name}: runAsNonRoot`);
    assert.equal(c.securityContext.readOnlyRootFilesystem, true, `${name}: readOnlyRootFilesystem`);
    assert.equal(c.securityContext.allowPrivilegeEscalation, false, `${name}: allowPrivilegeEscalation`);
    assert.deepEqual(c.securityContext.capabilities.drop, ['ALL'], `${name}: drop ALL capabilities`);
    const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
    assert.ok(tmp && pod.volumes.some((v: any) => v.name === tmp.name && v.emptyDir), `${name}: /tmp is an emptyDir`);
    // The gateway serves its probes on its HTTP port, the others beside /metrics.
    assert.equal(c.livenessProbe.httpGet.port, component(d) === 'gateway' ? 'http' : 'metrics', `${name}: probe port`);
    assert.equal(c.livenessProbe.httpGet.path, '/healthz', `${name}: liveness path`);
    assert.equal(c.readinessProbe.httpGet.path, '/readyz', `${name}: readiness path`);
    assert.ok(c.startupProbe.httpGet, `${name}: startup probe`);
    const portNames = (c.ports as Array<{ name: string }>).map((p) => p.name);
    assert.ok(
      portNames.includes(c.livenessProbe.httpGet.port),
      `${name}: probe port ${c.livenessProbe.httpGet.port} is a container port`,
    );
    assert.ok(c.resources?.requests?.memory && c.resources?.limits?.memory, `${name}: memory request and limit`);
    const svc = named(ms, 'Service', name);
    assert.deepEqual(svc.spec.selector, d.spec.selector.matchLabels, `${name}: its Service selects its pods`);
    for (const p of svc.spec.ports)
      assert.ok(portNames.includes(p.targetPort), `${name}: Service targetPort ${p.targetPort} exists`);
    assert.deepEqual(
      named(ms, 'PodDisruptionBudget', name).spec.selector.matchLabels,
      d.spec.selector.matchLabels,
      `${name}: its PDB selects its pods`,
    );
  }
}

const envOf = (d: Manifest, name: string) =>
  (container(d).env as Array<{ name: string; value?: string }>).find((e) => e.name === name)?.value;

before(
  () => {
    helmBin = execFileSync('bash', [join(repoRoot, 'scripts/tools/helm.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    for (const link of ['dashboards', 'rules']) {
      assert.ok(
        existsSync(join(chartDir, link)),
        `${join(chartDir, link)} does not resolve (it links to deploy/grafana/dashboards and deploy/prometheus)`,
      );
    }
  },
  { timeout: 20 * 60_000 },
);
after(() => rmSync(scratch, { recursive: true, force: true }));

describe('helm chart kunlun-mirror', () => {
  for (const values of [[], [ciValues('three-pools-keda-values.yaml')], [ciValues('all-options-values.yaml')]]) {
    it(`helm lint --strict passes (${values.length ? values[0]!.split('/').pop()! : 'default values'})`, () => {
      const r = helm(['lint', '--strict', chartDir, ...values.flatMap((f) => ['-f', f])]);
      assert.equal(r.status, 0, `helm lint failed:\n${r.stdout}\n${r.stderr}`);
    });
  }

  it('default values: one Deployment per service, CPU HPAs for the agent pools, everything valid', () => {
    const ms = render();
    validateAll(ms);
    checkPods(ms);
    checkEnv(ms);
    const ids = ofKind(ms, 'Deployment').map(component).sort();
    assert.deepEqual(ids, [
      'agent-analyzer',
      'agent-critic-default',
      'agent-evaluator',
      'agent-proposer',
      'gateway',
      'orchestrator',
      'recorder',
    ]);
    const hpas = ofKind(ms, 'HorizontalPodAutoscaler').map(component).sort();
    assert.deepEqual(hpas, ['agent-analyzer', 'agent-critic-default', 'agent-evaluator', 'agent-proposer']);
    assert.equal(ofKind(ms, 'ScaledObject').length, 0);
    for (const hpa of ofKind(ms, 'HorizontalPodAutoscaler')) {
      const d = named(ms, 'Deployment', hpa.spec.scaleTargetRef.name);
      assert.equal(d.spec.replicas, undefined, `${d.metadata.name}: no fixed replicas while an HPA scales it`);
    }
    const orchestrator = named(ms, 'Deployment', 'kunlun-mirror-orchestrator');
    assert.equal(orchestrator.metadata.annotations?.['kunlun-mirror.io/task-queue'], ORCHESTRATOR_TASK_QUEUE);
    for (const role of ['analyzer', 'proposer', 'evaluator'] as const) {
      assert.equal(
        named(ms, 'Deployment', `kunlun-mirror-agent-${role}`).metadata.annotations?.['kunlun-mirror.io/task-queue'],
        agentTaskQueue(role),
      );
    }
    // Optional extras stay off by default; no Secret without inline credentials.
    for (const kind of ['ServiceMonitor', 'PrometheusRule', 'Ingress', 'Secret', 'TriggerAuthentication'])
      assert.equal(ofKind(ms, kind).length, 0, kind);
    const gateway = named(ms, 'Deployment', 'kunlun-mirror-gateway');
    assert.equal(envOf(gateway, 'HOST'), '0.0.0.0', 'the gateway listens on every interface in a pod');
  });

  it('three critic pools with KEDA: a Deployment, its own task queue and a ScaledObject per pool', () => {
    const ms = render([ciValues('three-pools-keda-values.yaml')]);
    validateAll(ms);
    checkPods(ms);
    checkEnv(ms);
    const critics = ofKind(ms, 'Deployment').filter((d) => component(d).startsWith('agent-critic-'));
    assert.deepEqual(critics.map(component).sort(), [
      'agent-critic-default',
      'agent-critic-red-team',
      'agent-critic-strict',
    ]);
    const queues = new Set<string>();
    for (const d of critics) {
      const pool = component(d).slice('agent-critic-'.length);
      assert.equal(envOf(d, 'CRITIC_POOL'), pool);
      const queue = agentTaskQueue('critic', pool);
      assert.equal(d.metadata.annotations?.['kunlun-mirror.io/task-queue'], queue);
      queues.add(queue);
      const so = named(ms, 'ScaledObject', d.metadata.name);
      assert.equal(so.spec.scaleTargetRef.name, d.metadata.name);
      assert.equal(so.spec.triggers.length, 1);
      const trigger = so.spec.triggers[0];
      assert.equal(trigger.type, 'temporal');
      assert.equal(trigger.metadata.taskQueue, queue, `${d.metadata.name} scales on its own queue`);
      assert.equal(trigger.metadata.queueTypes, 'activity');
      assert.equal(trigger.metadata.targetQueueSize, '10');
      assert.equal(trigger.metadata.endpoint, 'temporal-frontend.temporal.svc.cluster.local:7233');
      assert.equal(d.spec.replicas, undefined, `${d.metadata.name}: no fixed replicas while KEDA scales it`);
    }
    assert.equal(queues.size, 3);
    const critic3 = ofKind(ms, 'ScaledObject').filter((s) => component(s).startsWith('agent-critic-'));
    assert.equal(critic3.length, 3, 'three critic ScaledObjects');
    assert.equal(ofKind(ms, 'ScaledObject').length, 6, 'three agent roles + three critic pools');
    assert.equal(ofKind(ms, 'HorizontalPodAutoscaler').length, 0, 'KEDA replaces the HPAs');
    assert.equal(
      named(ms, 'ScaledObject', 'kunlun-mirror-agent-critic-strict').spec.maxReplicaCount,
      8,
      'a pool overrides poolDefaults',
    );
    assert.equal(
      named(ms, 'ScaledObject', 'kunlun-mirror-agent-critic-default').spec.maxReplicaCount,
      4,
      'poolDefaults apply',
    );
    assert.equal(envOf(named(ms, 'Deployment', 'kunlun-mirror-agent-critic-strict'), 'MAX_CONCURRENT_ACTIVITIES'), '8');
    assert.equal(
      envOf(named(ms, 'Deployment', 'kunlun-mirror-agent-critic-default'), 'MAX_CONCURRENT_ACTIVITIES'),
      '32',
    );
    assert.equal(
      container(named(ms, 'Deployment', 'kunlun-mirror-agent-critic-red-team')).resources.limits.memory,
      '768Mi',
    );
  });

  it('every option on: credentials wired from Secrets, TLS material mounted, monitoring resources valid', () => {
    const ms = render([ciValues('all-options-values.yaml')]);
    validateAll(ms);
    checkPods(ms);
    checkEnv(ms);
    const secret = named(ms, 'Secret', 'kunlun-mirror');
    assert.deepEqual(
      Object.keys(secret.data).sort(),
      ['API_KEYS', 'KAFKA_SASL_PASSWORD', 'LLM_API_KEY'],
      'only inline credentials go into the chart Secret',
    );
    const gateway = named(ms, 'Deployment', 'kunlun-mirror-gateway');
    const env = resolveEnv(gateway, ms);
    assert.equal(env.REDIS_URL, 'rediss://kunlun:placeholder-secret-value-0123456789abcdef@redis-master.redis:6379/2');
    assert.equal(env.NODE_EXTRA_CA_CERTS, '/etc/kunlun/ca-bundle/ca.crt');
    assert.equal(env.TEMPORAL_TLS_CERT_FILE, '/etc/kunlun/temporal-tls/tls.crt');
    assert.equal(
      env.JWT_SECRET,
      'placeholder-secret-value-0123456789abcdef',
      'JWT_SECRET from the operator-managed Secret',
    );
    assert.equal(env.CRITIC_POOLS, 'default,strict', 'the gateway refuses critics sent to a pool no Deployment serves');
    assert.equal(env.RATE_LIMIT_UNAUTHENTICATED_PER_MINUTE, '60');
    assert.ok(container(gateway).volumeMounts.some((m: any) => m.mountPath === '/etc/kunlun/temporal-tls'));
    assert.equal(
      env.KAFKA_SASL_PASSWORD,
      'kafka-secret-password',
      'the gateway reads the topic (consistency checks) with the same Kafka credentials',
    );
    const recorder = resolveEnv(named(ms, 'Deployment', 'kunlun-mirror-recorder'), ms);
    assert.ok(!('TEMPORAL_ADDRESS' in recorder) && recorder.KAFKA_SASL_PASSWORD === 'kafka-secret-password');
    const analyzer = resolveEnv(named(ms, 'Deployment', 'kunlun-mirror-agent-analyzer'), ms);
    assert.equal(analyzer.LLM_API_KEY, 'sk-test-only');
    assert.ok(!('KAFKA_BROKERS' in analyzer), 'agents do not use Kafka');
    // On an LLM, agents stream tokens to Redis pub/sub (and keep reuse records there without a blob store).
    assert.equal(analyzer.REDIS_URL, env.REDIS_URL);
    assert.equal(analyzer.LLM_STREAM, 'true');
    assert.deepEqual(JSON.parse(analyzer.LLM_PRICES!), { 'house-model': { prompt: 0.5, completion: 1.5 } });
    assert.equal(
      named(ms, 'Deployment', 'kunlun-mirror-agent-evaluator').spec.replicas,
      3,
      'a role with autoscaling off keeps its replicas',
    );
    assert.equal(named(ms, 'PodDisruptionBudget', 'kunlun-mirror-recorder').spec.minAvailable, 1);
    const auth = named(ms, 'TriggerAuthentication', 'kunlun-mirror-temporal');
    assert.deepEqual(auth.spec.secretTargetRef.map((r: any) => r.parameter).sort(), ['apiKey', 'ca', 'cert', 'key']);
    for (const so of ofKind(ms, 'ScaledObject'))
      assert.equal(so.spec.triggers[0].authenticationRef.name, 'kunlun-mirror-temporal');
    const sm = named(ms, 'ServiceMonitor', 'kunlun-mirror');
    assert.equal(sm.metadata.labels?.release, 'kube-prometheus-stack');
    assert.deepEqual(
      sm.spec.endpoints.map((e: any) => e.port),
      ['metrics', 'sdk-metrics', 'http'],
    );
    assert.ok(
      sm.spec.endpoints.every((e: any) => e.honorLabels === true),
      'the services keep their namespace and service labels',
    );
    assert.equal(
      named(ms, 'Ingress', 'kunlun-mirror-gateway').spec.rules[0].http.paths[0].backend.service.name,
      'kunlun-mirror-gateway',
    );
  });

  it("an identity provider's key: mounted from its Secret as JWT_PUBLIC_KEY_FILE; trustProxy as the proxies' ranges", () => {
    const file = join(scratch, 'idp-values.yaml');
    writeFileSync(
      file,
      'gateway: {trustProxy: [10.0.0.0/8, "fd00::/8"], auth: {jwtSecret: {existingSecret: ""}, jwtAudiences: [kunlun], jwtPublicKey: {existingSecret: idp-key, existingSecretKey: idp.pem}}}\n',
    );
    const ms = render([ciValues('all-options-values.yaml'), file]);
    validateAll(ms);
    checkPods(ms);
    const gateway = named(ms, 'Deployment', 'kunlun-mirror-gateway');
    const env = resolveEnv(gateway, ms);
    assert.equal(env.JWT_PUBLIC_KEY_FILE, '/etc/kunlun/jwt/idp.pem');
    assert.ok(!('JWT_SECRET' in env), 'one way of checking tokens');
    const jwks = join(scratch, 'jwks-values.yaml');
    writeFileSync(
      jwks,
      'gateway: {auth: {jwtSecret: {existingSecret: ""}, jwtAudiences: [kunlun], jwksUrl: "https://idp.example/.well-known/jwks.json"}}\n',
    );
    const viaJwks = resolveEnv(
      named(render([ciValues('all-options-values.yaml'), jwks]), 'Deployment', 'kunlun-mirror-gateway'),
      ms,
    );
    assert.deepEqual(
      [viaJwks.JWT_JWKS_URL, 'JWT_PUBLIC_KEY_FILE' in viaJwks],
      ['https://idp.example/.well-known/jwks.json', false],
    );
    assert.deepEqual(
      [env.TRUST_PROXY, env.JWT_AUDIENCE, env.JWT_CLOCK_SKEW_SECONDS],
      ['10.0.0.0/8,fd00::/8', 'kunlun', '30'],
    );
    assert.ok(
      container(gateway).volumeMounts.some(
        (m: any) => m.name === 'jwt-public-key' && m.mountPath === '/etc/kunlun/jwt' && m.readOnly,
      ),
    );
    assert.equal(
      gateway.spec.template.spec.volumes.find((v: any) => v.name === 'jwt-public-key').secret.secretName,
      'idp-key',
    );
    for (const other of ['kunlun-mirror-recorder', 'kunlun-mirror-orchestrator'])
      assert.ok(
        !named(ms, 'Deployment', other).spec.template.spec.volumes.some((v: any) => v.name === 'jwt-public-key'),
        `${other} gets no key`,
      );
  });

  it('blob store, message size and Redis Cluster: set on the services that use them, valid for their schemas', () => {
    const blobVars = (env: Record<string, string>) => Object.keys(env).filter((n) => /^(BLOB_|CLAIM_CHECK_)/.test(n));
    const users = (ms: Manifest[]) =>
      ofKind(ms, 'Deployment').filter((d) => component(d).startsWith('agent-') || component(d) === 'gateway');
    const others = (ms: Manifest[]) => ofKind(ms, 'Deployment').filter((d) => !users(ms).includes(d));

    // Default: no store, said explicitly (a service left to its own default would look for the
    // local stack's S3 server on 127.0.0.1:7070 and fail every large text).
    const plain = render();
    for (const d of users(plain)) assert.equal(resolveEnv(d, plain).BLOB_STORE, 'none', d.metadata.name);
    for (const d of others(plain))
      assert.deepEqual(blobVars(resolveEnv(d, plain)), [], `${d.metadata.name}: no blob settings`);
    assert.equal(
      resolveEnv(named(plain, 'Deployment', 'kunlun-mirror-orchestrator'), plain).KAFKA_MAX_MESSAGE_BYTES,
      '1000000',
    );

    // S3 with credentials from the operator's Secret, on the agents and the gateway only.
    const ms = render([ciValues('all-options-values.yaml')]);
    assert.equal(users(ms).length, 6, 'three roles, two critic pools, the gateway');
    for (const d of users(ms)) {
      const env = resolveEnv(d, ms);
      assert.deepEqual(
        [env.BLOB_STORE, env.BLOB_S3_ENDPOINT, env.BLOB_S3_BUCKET, env.BLOB_S3_REGION, env.BLOB_S3_FORCE_PATH_STYLE],
        ['s3', 'https://s3.eu-west-1.amazonaws.com', 'kunlun-texts', 'eu-west-1', 'false'],
        d.metadata.name,
      );
      assert.equal(env.CLAIM_CHECK_MIN_BYTES, '16384');
      const refs = (container(d).env as Array<{ name: string; valueFrom?: any }>).filter(
        (e) => e.name.startsWith('BLOB_S3_') && e.valueFrom?.secretKeyRef,
      );
      assert.deepEqual(refs.map((e) => [e.name, e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key]).sort(), [
        ['BLOB_S3_ACCESS_KEY_ID', 's3-credentials', 'id'],
        ['BLOB_S3_SECRET_ACCESS_KEY', 's3-credentials', 'secret'],
      ]);
      const config = loadConfig(blobEnv, env);
      assert.equal(config.BLOB_S3_FORCE_PATH_STYLE, false);
    }
    for (const d of others(ms))
      assert.deepEqual(blobVars(resolveEnv(d, ms)), [], `${d.metadata.name}: no blob settings`);
    assert.equal(
      resolveEnv(named(ms, 'Deployment', 'kunlun-mirror-orchestrator'), ms).KAFKA_MAX_MESSAGE_BYTES,
      '2000000',
    );

    // Local files on a shared claim, and a Redis Cluster.
    const file = join(scratch, 'local-blobs-cluster-values.yaml');
    writeFileSync(
      file,
      'blobs: {store: local, local: {existingClaim: kunlun-blobs}}\nredis: {url: "rediss://redis.redis:6379", clusterNodes: [redis-0.redis:6379, "[fd00::7]:6380"]}\n',
    );
    const local = render([file]);
    validateAll(local);
    checkPods(local);
    checkEnv(local);
    for (const d of users(local)) {
      const env = resolveEnv(d, local);
      const pod = d.spec.template.spec;
      const mount = container(d).volumeMounts.find((m: any) => m.name === 'blobs');
      assert.equal(env.BLOB_STORE, 'local');
      assert.equal(mount?.mountPath, env.BLOB_LOCAL_DIR, `${d.metadata.name}: BLOB_LOCAL_DIR is the mounted claim`);
      assert.equal(pod.volumes.find((v: any) => v.name === 'blobs').persistentVolumeClaim.claimName, 'kunlun-blobs');
      assert.ok(!('BLOB_S3_ENDPOINT' in env), 'no S3 settings for the local store');
    }
    for (const d of others(local))
      assert.ok(!d.spec.template.spec.volumes.some((v: any) => v.name === 'blobs'), `${d.metadata.name}: no claim`);
    for (const name of ['kunlun-mirror-recorder', 'kunlun-mirror-gateway']) {
      const config = loadConfig(redisEnv, resolveEnv(named(local, 'Deployment', name), local));
      assert.deepEqual(config.REDIS_CLUSTER_NODES, ['redis-0.redis:6379', '[fd00::7]:6380'], name);
      assert.equal(config.REDIS_URL, 'rediss://redis.redis:6379');
    }
    assert.ok(!('REDIS_CLUSTER_NODES' in resolveEnv(named(plain, 'Deployment', 'kunlun-mirror-recorder'), plain)));
  });

  it('ships every dashboard in deploy/grafana/dashboards as a labelled ConfigMap and every rules file as a PrometheusRule', () => {
    const ms = render([ciValues('all-options-values.yaml')]);
    const dashboards = readdirSync(join(chartDir, 'dashboards')).filter((f) => f.endsWith('.json'));
    const maps = ofKind(ms, 'ConfigMap').filter((m) => m.metadata.labels?.grafana_dashboard === '1');
    assert.equal(maps.length, dashboards.length, 'one ConfigMap per dashboard');
    for (const file of dashboards) {
      const cm = maps.find((m) => m.data?.[file] !== undefined);
      assert.ok(cm, `no ConfigMap carries ${file}`);
      assert.deepEqual(
        JSON.parse(cm.data[file]),
        JSON.parse(readFileSync(join(chartDir, 'dashboards', file), 'utf8')),
        `${file} is shipped unchanged`,
      );
      assert.equal(cm.metadata.annotations?.grafana_folder, 'Kunlun Mirror');
    }
    const ruleFiles = listFiles(join(chartDir, 'rules')).filter((f) => /\.ya?ml$/.test(f));
    const withGroups = ruleFiles.filter((f) => {
      const doc = parse(readFileSync(f, 'utf8')) as { groups?: unknown; spec?: { groups?: unknown } } | null;
      return Boolean(doc?.groups ?? doc?.spec?.groups);
    });
    const rules = ofKind(ms, 'PrometheusRule');
    assert.equal(rules.length, withGroups.length, 'one PrometheusRule per rules file');
    for (const r of rules)
      assert.ok(r.spec.groups.length > 0 && r.metadata.labels?.release === 'kube-prometheus-stack');
    // Off by default for rules; dashboards ship by default.
    const plain = render();
    assert.equal(ofKind(plain, 'PrometheusRule').length, 0);
    assert.equal(
      ofKind(plain, 'ConfigMap').filter((m) => m.metadata.labels?.grafana_dashboard === '1').length,
      dashboards.length,
    );
  });

  it('NOTES.txt lists the task queue of every worker and warns about missing auth', () => {
    // helm template does not print NOTES.txt: render it through a ConfigMap in a copy of the chart.
    const copy = join(scratch, 'notes-chart');
    cpSync(chartDir, copy, { recursive: true, dereference: true });
    writeFileSync(
      join(copy, 'templates/notes-check.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: notes}\ndata:\n  notes: {{ include (print .Template.BasePath "/NOTES.txt") . | quote }}\n',
    );
    const notes = (values: string[]) => {
      const r = helm([
        'template',
        'kunlun-mirror',
        copy,
        '--show-only',
        'templates/notes-check.yaml',
        ...values.flatMap((f) => ['-f', f]),
      ]);
      assert.equal(r.status, 0, r.stderr);
      return (parse(r.stdout) as { data: { notes: string } }).data.notes;
    };
    const keda = notes([join(copy, 'ci/three-pools-keda-values.yaml')]);
    for (const pool of ['default', 'strict', 'red-team'])
      assert.match(
        keda,
        new RegExp(`kunlun-mirror-agent-critic-${pool} +-> +${agentTaskQueue('critic', pool).replace(/\./g, '\\.')}\n`),
      );
    assert.match(keda, /kubectl get scaledobjects/);
    assert.match(keda, /WARNING: gateway\.auth has no API keys/);
    const all = notes([join(copy, 'ci/all-options-values.yaml')]);
    assert.doesNotMatch(all, /gateway\.auth has no API keys/);
    assert.doesNotMatch(all, /blobs\.store is none/, 'an S3 store is set');
    const llmNoStore = join(scratch, 'llm-no-store-values.yaml');
    writeFileSync(llmNoStore, 'agents: {llm: {baseUrl: "https://llm.example/v1"}}\n');
    assert.match(
      notes([llmNoStore]),
      /WARNING: agents call an LLM but blobs\.store is none: long outputs travel inline and can outgrow Kafka's message\s+limit \(1000000 bytes\)/,
    );
    assert.doesNotMatch(keda, /blobs\.store is none/, 'the built-in brain writes short texts');
    assert.match(all, /https:\/\/kunlun\.example\.com\//);
  });

  describe('values.schema.json rejects bad values with its message', () => {
    const cases: Array<[string, string, RegExp]> = [
      [
        'a negative replica count',
        'orchestrator: {replicas: -1}',
        /at '\/orchestrator\/replicas': minimum: got -1, want 0/,
      ],
      [
        'a critic pool without a name',
        'critics: {pools: [{replicas: 2}]}',
        /at '\/critics\/pools\/0': missing property 'name'/,
      ],
      [
        'a pool name with capitals and _',
        'critics: {pools: [{name: Strict_Pool}]}',
        /at '\/critics\/pools\/0\/name': 'Strict_Pool' does not match pattern/,
      ],
      [
        'a pool name longer than 32 characters',
        `critics: {pools: [{name: ${'a'.repeat(33)}}]}`,
        /at '\/critics\/pools\/0\/name': '(a){33}' does not match pattern/,
      ],
      ['no critic pool at all', 'critics: {pools: []}', /at '\/critics\/pools': minItems: got 0, want 1/],
      ['an unknown top-level key', 'replica: 3', /at '': additional properties 'replica' not allowed/],
      [
        'a misspelt component key',
        'gateway: {replica: 3}',
        /at '\/gateway': additional properties 'replica' not allowed/,
      ],
      [
        'SASL PLAIN',
        'kafka: {sasl: {enabled: true, username: u, mechanism: plain}}',
        /at '\/kafka\/sasl\/mechanism': value must be one of 'scram-sha-256', 'scram-sha-512'/,
      ],
      [
        'SASL without a user name',
        'kafka: {sasl: {enabled: true}}',
        /at '\/kafka\/sasl\/username': minLength: got 0, want 1/,
      ],
      [
        'credentials inside the Redis URL',
        'redis: {url: "redis://user:secret@redis:6379"}',
        /at '\/redis\/url': 'redis:\/\/user:secret@redis:6379' does not match pattern/,
      ],
      ['keda.enabled as a string', 'keda: {enabled: "yes"}', /at '\/keda\/enabled': got string, want boolean/],
      [
        'maxReplicas 0',
        'agents: {analyzer: {autoscaling: {maxReplicas: 0}}}',
        /at '\/agents\/analyzer\/autoscaling\/maxReplicas': minimum: got 0, want 1/,
      ],
      ['trustProxy as a word', 'gateway: {trustProxy: ingress}', /at '\/gateway\/trustProxy'/],
      [
        'an unknown blob store',
        'blobs: {store: gcs}',
        /at '\/blobs\/store': value must be one of 's3', 'local', 'none'/,
      ],
      [
        'a claim-check threshold below 1 KiB',
        'blobs: {claimCheckMinBytes: 100}',
        /at '\/blobs\/claimCheckMinBytes': minimum: got 100, want 1,024/,
      ],
      [
        'a Redis Cluster node without a port',
        'redis: {clusterNodes: [redis-0]}',
        /at '\/redis\/clusterNodes\/0': 'redis-0' does not match pattern/,
      ],
      [
        'a Temporal address without a port',
        'temporal: {address: temporal-frontend}',
        /at '\/temporal\/address': 'temporal-frontend' does not match pattern/,
      ],
    ];
    for (const [what, yamlText, message] of cases) {
      it(`rejects ${what}`, () => {
        const file = join(scratch, `bad-${what.replace(/\W+/g, '-')}.yaml`);
        writeFileSync(file, `${yamlText}\n`);
        for (const cmd of [
          ['template', 'kunlun-mirror', chartDir, '-f', file],
          ['lint', chartDir, '-f', file],
        ]) {
          const r = helm(cmd);
          const out = `${r.stdout}\n${r.stderr}`;
          assert.notEqual(r.status, 0, `helm ${cmd[0]} accepted ${yamlText}`);
          assert.match(
            out,
            /values don't meet the specifications of the schema/,
            `helm ${cmd[0]}: not a schema error:\n${out}`,
          );
          assert.match(out, message, `helm ${cmd[0]}: unexpected message:\n${out}`);
        }
      });
    }

    // Rules a JSON schema cannot express are checked by the templates, with a message as clear.
    const templateCases: Array<[string, string, RegExp]> = [
      [
        'an ingress with trustProxy false',
        'gateway: {ingress: {enabled: true}, trustProxy: false}',
        /gateway\.ingress is enabled but gateway\.trustProxy is false/,
      ],
      [
        'a pool listed twice',
        'critics: {pools: [{name: a}, {name: a}]}',
        /critics\.pools: pool name "a" appears twice/,
      ],
      [
        'maxReplicas below minReplicas',
        'agents: {analyzer: {autoscaling: {minReplicas: 5, maxReplicas: 2}}}',
        /agent-analyzer: autoscaling\.maxReplicas \(2\) is below minReplicas \(5\)/,
      ],
      [
        'a JWT secret and an identity provider key',
        'gateway: {auth: {jwtSecret: {value: "0123456789abcdef0123456789abcdef"}, jwtAudiences: [k], jwtPublicKey: {existingSecret: idp}}}',
        /set jwtSecret or jwtPublicKey, not both/,
      ],
      [
        'a JWKS URL and a JWT secret',
        'gateway: {auth: {jwtSecret: {value: "0123456789abcdef0123456789abcdef"}, jwtAudiences: [k], jwksUrl: "https://idp.example/jwks"}}',
        /set one of jwtSecret, jwtPublicKey, jwksUrl/,
      ],
      [
        'a JWKS URL without an audience',
        'gateway: {auth: {jwksUrl: "https://idp.example/jwks"}}',
        /jwksUrl needs gateway\.auth\.jwtAudiences/,
      ],
      ['an S3 store without an endpoint', 'blobs: {store: s3}', /blobs\.s3\.endpoint is required with blobs\.store s3/],
      [
        'an S3 access key id without its secret',
        'blobs: {store: s3, s3: {endpoint: "https://s3.example", accessKeyId: {value: AKIA0000}}}',
        /blobs\.s3: set both accessKeyId and secretAccessKey, or neither/,
      ],
      [
        'a local store without a shared claim',
        'blobs: {store: local}',
        /blobs\.local\.existingClaim is required with blobs\.store local/,
      ],
      [
        'a Redis Cluster with a database in the URL',
        'redis: {url: "redis://redis:6379/2", clusterNodes: ["redis-0:6379"]}',
        /a Redis Cluster has only database 0/,
      ],
      [
        'an identity provider key without an audience',
        'gateway: {auth: {jwtPublicKey: {existingSecret: idp}}}',
        /jwtPublicKey needs gateway\.auth\.jwtAudiences/,
      ],
    ];
    for (const [what, yamlText, message] of templateCases) {
      it(`rejects ${what} (template check)`, () => {
        const file = join(scratch, `bad-tpl-${what.replace(/\W+/g, '-')}.yaml`);
        writeFileSync(file, `${yamlText}\n`);
        const r = helm(['template', 'kunlun-mirror', chartDir, '-f', file]);
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, message);
      });
    }

    it('uses the same critic pool pattern as @kunlun/contracts', () => {
      const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8'));
      assert.equal(
        schema.properties.critics.properties.pools.items.properties.name.pattern,
        CRITIC_POOL_PATTERN.source,
      );
    });
  });

  it('documents every key of values.yaml with a comment', () => {
    const lines = readFileSync(join(chartDir, 'values.yaml'), 'utf8').split('\n');
    const documented: Array<{ indent: number; doc: boolean }> = []; // the open keys above the current line
    let commentAbove = false;
    const missing: string[] = [];
    for (const line of lines) {
      if (/^\s*#/.test(line)) {
        commentAbove = true;
        continue;
      }
      const m = /^(\s*)(- )?([A-Za-z_][\w.-]*):/.exec(line);
      if (!m) {
        if (line.trim() === '') commentAbove = false;
        continue;
      }
      const indent = m[1]!.length + (m[2] ? 2 : 0);
      while (documented.length && documented[documented.length - 1]!.indent >= indent) documented.pop();
      // A key is documented by its own comment, by a documented parent, or as a field of a list item.
      const doc = commentAbove || documented.some((d) => d.doc) || Boolean(m[2]);
      if (!doc) missing.push(line.trim());
      documented.push({ indent, doc: commentAbove || documented.some((d) => d.doc) });
      commentAbove = false;
    }
    assert.deepEqual(missing, [], 'values.yaml keys without a comment');
  });

  it('README names the search attributes and topics the code defines', () => {
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    for (const [name, type] of Object.entries(SEARCH_ATTRIBUTE_REGISTRATIONS)) {
      assert.match(readme, new RegExp(`--name ${name} --type ${type}\\b`), `README registers ${name} as ${type}`);
    }
    for (const spec of TOPIC_SPECS) {
      assert.match(
        readme,
        new RegExp(`--topic ${spec.topic.replace(/\./g, '\\.')} --partitions ${spec.numPartitions}\\b`),
        `README creates ${spec.topic}`,
      );
    }
  });
});

describe('deploy/docker/Dockerfile', () => {
  const dockerfile = join(repoRoot, 'deploy/docker/Dockerfile');
  // Instructions with their continuation lines joined, comments dropped.
  const instructions = readFileSync(dockerfile, 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

  it('COPYs only paths that exist in the repository', () => {
    const copies = instructions.filter((l) => /^COPY\s/i.test(l) && !/--from=/.test(l));
    assert.ok(copies.length > 0);
    for (const line of copies) {
      const args = line
        .split(/\s+/)
        .slice(1)
        .filter((a) => !a.startsWith('--'));
      for (const source of args.slice(0, -1))
        assert.ok(existsSync(join(repoRoot, source)), `${line}: ${source} does not exist`);
    }
  });

  it('has a target per chart service whose command runs an existing entry point', () => {
    const targets = new Map<string, string>();
    let stage = '';
    for (const l of instructions) {
      const from = /^FROM\s+\S+\s+AS\s+(\S+)/i.exec(l);
      if (from) stage = from[1]!;
      const cmd = /^CMD\s+(\[.*\])$/i.exec(l);
      if (cmd) targets.set(stage, (JSON.parse(cmd[1]!) as string[]).find((a) => a.endsWith('.ts')) ?? '');
    }
    const ms = render();
    const images = ofKind(ms, 'Deployment').map((d) => ({
      id: component(d),
      image: container(d).image as string,
      name: container(d).name as string,
    }));
    const services = [...new Set(images.map((i) => i.name))].sort();
    assert.deepEqual([...targets.keys()].sort(), services, 'one Dockerfile target per service image');
    for (const { id, image, name } of images) {
      assert.match(image, new RegExp(`/${name}:`), `${id}: image repository is the Dockerfile target ${name}`);
      const entry = targets.get(name)!;
      assert.equal(entry, `services/${name}/src/main.ts`);
      assert.ok(existsSync(join(repoRoot, entry)), `${entry} does not exist`);
    }
  });
});

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)],
  );
}
