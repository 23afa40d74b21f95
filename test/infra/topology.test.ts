// The deployed system has the names and shape of src/domain/topology.ts: one Cloud Function per
// entry point with its own service account, every topic, a push subscription per Pub/Sub
// trigger (OIDC, dead letters, retry, ack deadline ≥ timeout), a scheduler job per schedule,
// and each function gets exactly the secrets and rights its `needs` list.
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { topicSchemas } from '../../src/domain/messages.js';
import { functions, schedules, topics, type FunctionSpec } from '../../src/domain/topology.js';
import type { Metric } from '../../src/logger.js';
import {
  blockNamed,
  blocksOf,
  loadInfra,
  readRepoFile,
  nested,
  type JsonObject,
  type TfBlock,
  type TfModule,
} from './hcl.js';

let stack: TfModule;
let fnModule: TfModule;
let pubsub: TfModule;
let scheduler: TfModule;
let monitoring: TfModule;
let prod: TfModule;
let dev: TfModule;

beforeAll(async () => {
  const infra = await loadInfra();
  const get = (dir: string) => infra.get(`infra/${dir}`)!;
  stack = get('modules/bqcost');
  fnModule = get('modules/function');
  pubsub = get('modules/pubsub');
  scheduler = get('modules/scheduler');
  monitoring = get('modules/monitoring');
  prod = get('environments/prod');
  dev = get('environments/dev');
});

const functionCalls = () =>
  blocksOf(stack, 'module').filter((call) => call.body.source === '../function');
const callFor = (fn: FunctionSpec): TfBlock | undefined =>
  functionCalls().find((call) => call.body.entry_point === fn.name);
const moduleCall = (name: string) => blockNamed(stack, 'module', name)!;
const asObject = (value: unknown) => value as JsonObject;

/** The environment variables a function's `needs` entitle it to, by trigger. */
function expectedSecrets(fn: FunctionSpec): string[] {
  const secrets: string[] = [];
  if (fn.needs.includes('slack_secrets')) {
    // Only the HTTP receiver verifies request signatures; workers only call the Web API.
    if (fn.trigger.kind === 'http') secrets.push('SLACK_SIGNING_SECRET');
    secrets.push('SLACK_BOT_TOKEN');
  }
  if (fn.needs.includes('pagerduty_key')) secrets.push('PAGERDUTY_ROUTING_KEY');
  return secrets.sort();
}

describe('functions', () => {
  it('there is exactly one function module call per topology entry point, and no other', () => {
    const entryPoints = functionCalls().map((call) => call.body.entry_point);
    expect([...entryPoints].sort()).toEqual(functions.map((f) => f.name).sort());
  });

  it.each(functions.map((f) => [f.name, f] as const))(
    '%s: own service account, entry point, trigger, secrets and roles from its needs',
    (_name, fn) => {
      const call = callFor(fn)!;
      expect(call, fn.name).toBeDefined();
      const accountIds = functionCalls().map((c) => c.body.account_id);
      expect(accountIds.filter((id) => id === call.body.account_id)).toHaveLength(1);

      const isPublic = fn.trigger.kind === 'http' && fn.trigger.public;
      expect(call.body.public ?? false).toBe(isPublic);
      expect(Object.keys(asObject(call.body.secrets ?? {})).sort()).toEqual(expectedSecrets(fn));

      const roles = JSON.stringify(call.body.project_roles);
      expect(roles.includes('roles/bigquery.resourceViewer')).toBe(
        fn.needs.includes('information_schema'),
      );
    },
  );

  it('the function module deploys the entry point it is given as its own service account', () => {
    const fn = blockNamed(fnModule, 'resource', 'main', 'google_cloudfunctions2_function')!;
    expect(nested(fn.body, 'build_config')?.entry_point).toBe('${var.entry_point}');
    expect(nested(fn.body, 'service_config')?.service_account_email).toBe(
      '${google_service_account.main.email}',
    );
    expect(blockNamed(fnModule, 'resource', 'main', 'google_service_account')).toBeDefined();
    const secrets = asObject(
      asObject(nested(fn.body, 'service_config')?.dynamic)?.secret_environment_variables,
    );
    expect(JSON.stringify(secrets)).toContain('${var.secrets}');
    const accessor = blockNamed(
      fnModule,
      'resource',
      'accessor',
      'google_secret_manager_secret_iam_member',
    )!;
    expect(accessor.body.for_each).toBe('${var.secrets}');
    expect(accessor.body.role).toBe('roles/secretmanager.secretAccessor');
  });

  it('the Slack receiver keeps a warm instance in prod', () => {
    const prodCall = blockNamed(prod, 'module', 'bqcost')!;
    expect(prodCall.body.slack_min_instances).toBeGreaterThanOrEqual(1);
    expect(
      moduleCall(callFor(functions.find((f) => f.trigger.kind === 'http')!)!.name).body
        .min_instances,
    ).toBe('${var.slack_min_instances}');
    expect(blockNamed(dev, 'module', 'bqcost')!.body.slack_min_instances).toBe(0);
  });

  it('hardening switches are off in dev and variables in prod', () => {
    const devCall = blockNamed(dev, 'module', 'bqcost')!.body;
    expect(devCall.enable_vpc_service_controls).toBe(false);
    expect(devCall.enable_private_google_access).toBe(false);
    const prodCall = blockNamed(prod, 'module', 'bqcost')!.body;
    expect(prodCall.enable_vpc_service_controls).toBe('${var.enable_vpc_service_controls}');
    expect(prodCall.enable_private_google_access).toBe('${var.enable_private_google_access}');
    expect(prodCall.kms_key_name).toBe('${var.kms_key_name}');
  });
});

describe('runtime configuration', () => {
  it('every environment variable Terraform sets is one src/config.ts reads', () => {
    const config = readRepoFile('src/config.ts');
    const plain = String(stack.locals.environment);
    const names = new Set([...plain.matchAll(/\b([A-Z][A-Z0-9_]+)\s*=/g)].map((m) => m[1]!));
    for (const call of functionCalls()) {
      for (const name of Object.keys(asObject(call.body.secrets ?? {}))) names.add(name);
    }
    expect(names.size).toBeGreaterThanOrEqual(8);
    for (const name of names) expect(config, name).toMatch(new RegExp(`^\\s+${name}:`, 'm'));
  });

  it('functions run against BigQuery in the deployed environments', () => {
    expect(String(stack.locals.environment)).toMatch(/BQCOST_WAREHOUSE\s*=\s*"bigquery"/);
  });
});

describe('topics and subscriptions', () => {
  it('every topology topic is declared, and nothing else', () => {
    expect([...(moduleCall('pubsub').body.topics as string[])].sort()).toEqual(
      Object.values(topics).sort(),
    );
  });

  const pubsubFunctions = functions.filter((f) => f.trigger.kind === 'pubsub');

  it('every Pub/Sub-triggered function has its own push subscription on its topic', () => {
    const subs = asObject(moduleCall('pubsub').body.subscriptions);
    expect(Object.keys(subs)).toHaveLength(pubsubFunctions.length);
    for (const fn of pubsubFunctions) {
      const call = callFor(fn)!;
      const entry = Object.values(subs)
        .map(asObject)
        .find((s) => s.push_endpoint === `\${module.${call.name}.uri}`);
      expect(entry, fn.name).toBeDefined();
      expect(entry!.topic).toBe(fn.trigger.kind === 'pubsub' ? fn.trigger.topic : null);
      expect(entry!.push_service).toBe(`\${module.${call.name}.name}`);
      expect(entry!.ack_deadline_seconds as number).toBeGreaterThanOrEqual(
        call.body.timeout_seconds as number,
      );
      expect(entry!.ack_deadline_seconds as number).toBeLessThanOrEqual(600);
      expect(entry!.max_delivery_attempts as number).toBeGreaterThanOrEqual(5);
      expect(entry!.max_delivery_attempts as number).toBeLessThanOrEqual(100);
      expect(entry!.minimum_backoff).toMatch(/^\d+s$/);
      expect(entry!.maximum_backoff).toMatch(/^\d+s$/);
      expect(entry!.message_retention).toMatch(/^\d+s$/);
    }
  });

  it('each push subscription authenticates with OIDC and dead-letters into its own topic with a subscription', () => {
    const push = blockNamed(pubsub, 'resource', 'push', 'google_pubsub_subscription')!;
    expect(push.body.for_each).toBe('${var.subscriptions}');
    const oidc = nested(nested(push.body, 'push_config'), 'oidc_token');
    expect(oidc?.service_account_email).toBe('${google_service_account.push[each.key].email}');
    expect(nested(push.body, 'dead_letter_policy')).toEqual({
      dead_letter_topic: '${google_pubsub_topic.dead_letter[each.key].id}',
      max_delivery_attempts: '${each.value.max_delivery_attempts}',
    });
    expect(push.body.ack_deadline_seconds).toBe('${each.value.ack_deadline_seconds}');
    expect(push.body.message_retention_duration).toBe('${each.value.message_retention}');
    expect(nested(push.body, 'expiration_policy')?.ttl).toBe('');
    const dlqTopic = blockNamed(pubsub, 'resource', 'dead_letter', 'google_pubsub_topic')!;
    const dlqSub = blockNamed(pubsub, 'resource', 'dead_letter', 'google_pubsub_subscription')!;
    expect(dlqTopic.body.for_each).toBe('${var.subscriptions}');
    expect(dlqSub.body.topic).toBe('${google_pubsub_topic.dead_letter[each.key].id}');
    const invoker = blockNamed(
      pubsub,
      'resource',
      'push_invoker',
      'google_cloud_run_v2_service_iam_member',
    )!;
    expect(invoker.body.name).toBe('${each.value.push_service}');
  });

  it('publish rights go to exactly the functions whose needs include publish', () => {
    const publishers = asObject(moduleCall('pubsub').body.publishers);
    expect(Object.keys(publishers).sort()).toEqual(
      functions
        .filter((f) => f.needs.includes('publish'))
        .map((f) => f.name)
        .sort(),
    );
    for (const [name, grant] of Object.entries(publishers)) {
      const call = callFor(functions.find((f) => f.name === name)!)!;
      expect(asObject(grant).member).toBe(`\${module.${call.name}.member}`);
      for (const topic of asObject(grant).topics as string[]) {
        expect(Object.values(topics)).toContain(topic);
      }
    }
  });
});

describe('schedules', () => {
  it('every topology schedule has a Cloud Scheduler job with its cron and topic, and nothing else', () => {
    const jobs = asObject(moduleCall('scheduler').body.jobs);
    expect(Object.keys(jobs).sort()).toEqual(schedules.map((s) => s.name).sort());
    for (const schedule of schedules) {
      const job = asObject(jobs[schedule.name]);
      expect(job.schedule).toBe(schedule.cron);
      expect(job.topic_id).toBe(`\${module.pubsub.topic_ids["${schedule.topic}"]}`);
    }
    const resource = blockNamed(scheduler, 'resource', 'main', 'google_cloud_scheduler_job')!;
    expect(resource.body.time_zone).toBe('Etc/UTC');
  });

  it("each job's static payload, completed by the Pub/Sub edge, is a valid message for its topic", () => {
    const jobs = asObject(moduleCall('scheduler').body.jobs);
    const now = '2026-11-28T05:00:00.000Z';
    for (const schedule of schedules) {
      const payload = asObject(asObject(jobs[schedule.name]).payload);
      // What the edge adds from the message's publish time (modules/scheduler/README.md).
      const completed = {
        ...payload,
        key: `${schedule.name}:${now}`,
        publishedAt: now,
        windowEnd: now,
        day: '2026-11-27',
      };
      const schema: z.ZodType = topicSchemas[schedule.topic];
      expect(schema.safeParse(completed).success, schedule.name).toBe(true);
      expect(schema.safeParse({ ...completed, v: 2 }).success).toBe(false);
    }
  });
});

describe('monitoring', () => {
  // Compile-time: this list and the logger's Metric type are the same set.
  const opsMetrics = [
    'processed',
    'failed',
    'dead_lettered',
    'escalated',
    'slack_rate_limited',
  ] as const satisfies readonly Metric[];
  const businessMetrics = [
    'recommendation_opened',
    'recommendation_accepted',
  ] as const satisfies readonly Metric[];
  // A distribution of `usdPerMonth` (resource realized_savings), not a counter.
  const distributions = ['savings_realized'] as const satisfies readonly Metric[];
  const exhaustive: Exclude<
    Metric,
    (typeof opsMetrics)[number] | (typeof businessMetrics)[number] | (typeof distributions)[number]
  > extends never
    ? true
    : false = true;

  it("log-based metrics count every value of the logger's `metric` field with component and topic labels", () => {
    expect(exhaustive).toBe(true);
    expect(monitoring.locals.ops_metrics).toBe(
      `\${toset(${JSON.stringify([...opsMetrics]).replaceAll(',', ', ')})}`,
    );
    expect(monitoring.locals.business_metrics).toBe(
      `\${toset(${JSON.stringify([...businessMetrics]).replaceAll(',', ', ')})}`,
    );
    expect(readRepoFile('infra/modules/monitoring/main.tf')).toContain(
      `jsonPayload.metric=\\"${distributions[0]}\\"`,
    );
    const ops = blockNamed(monitoring, 'resource', 'ops', 'google_logging_metric')!;
    expect(ops.body.label_extractors).toEqual({
      component: 'EXTRACT(labels.component)',
      topic: 'EXTRACT(labels.topic)',
    });
    expect(ops.body.filter).toContain('jsonPayload.metric="${each.value}"');
  });

  it('the dashboard and alerts cover every function', () => {
    const call = moduleCall('monitoring').body;
    expect(Object.keys(asObject(call.functions)).sort()).toEqual(
      functions.map((f) => f.name).sort(),
    );
    const analyzer = functions.find((f) => f.needs.includes('information_schema'))!;
    expect(call.analysis_component).toBe(analyzer.name);
    const slack = functions.find((f) => f.trigger.kind === 'http')!;
    expect(call.slack_service).toBe(`\${module.${callFor(slack)!.name}.name}`);
  });
});
