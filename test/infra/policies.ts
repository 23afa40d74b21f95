// The infra policies as pure checks: each takes parsed modules and returns its violations.
import {
  blocksOf,
  nested,
  strings,
  type Json,
  type JsonObject,
  type TfBlock,
  type TfModule,
} from './hcl.js';

const where = (module: TfModule, block: TfBlock) =>
  `${module.dir}/${block.file}: ${[block.kind === 'resource' ? '' : block.kind, block.type, block.name].filter(Boolean).join('.')}`;

const allStrings = (module: TfModule) =>
  module.blocks.flatMap((block) => strings(block.body).map((s) => ({ block, ...s })));

export function untypedVariables(modules: Iterable<TfModule>): string[] {
  const problems: string[] = [];
  for (const module of modules) {
    for (const variable of blocksOf(module, 'variable')) {
      if (!('type' in variable.body)) problems.push(`${where(module, variable)} has no type`);
      const description = variable.body.description;
      if (typeof description !== 'string' || description.trim().length < 8) {
        problems.push(`${where(module, variable)} has no description`);
      }
    }
  }
  return problems;
}

/** roles/owner, roles/editor, roles/viewer (and the legacy bare names) anywhere. */
export function primitiveRoles(modules: Iterable<TfModule>): string[] {
  const basic = /(^|["\s/])roles\/(owner|editor|viewer)(["\s]|$)/;
  const problems: string[] = [];
  for (const module of modules) {
    for (const { block, value } of allStrings(module)) {
      if (basic.test(value)) problems.push(`${where(module, block)} uses a basic role: ${value}`);
    }
  }
  return problems;
}

const isIamGrant = (block: TfBlock) =>
  block.kind === 'resource' && /_iam_(member|binding|policy)$/.test(block.type);

/** No *Admin / *.admin role is granted by any IAM resource (to a service account or anyone). */
export function adminGrants(modules: Iterable<TfModule>): string[] {
  const problems: string[] = [];
  for (const module of modules) {
    for (const block of module.blocks) {
      const role = block.body.role;
      if (isIamGrant(block) && typeof role === 'string' && /admin/i.test(role)) {
        problems.push(`${where(module, block)} grants ${role}`);
      }
      // Roles handed to a function module as plain strings.
      const projectRoles = block.kind === 'module' ? block.body.project_roles : undefined;
      for (const { value } of strings(projectRoles ?? null)) {
        if (/roles\/[^"]*admin/i.test(value))
          problems.push(`${where(module, block)} grants ${value}`);
      }
    }
  }
  return problems;
}

/** serviceAccountUser / serviceAccountTokenCreator only on a single service account. */
export function projectWideImpersonation(modules: Iterable<TfModule>): string[] {
  const impersonation = /roles\/iam\.serviceAccount(User|TokenCreator)/;
  const problems: string[] = [];
  for (const module of modules) {
    for (const { block, value } of allStrings(module)) {
      if (impersonation.test(value) && block.type !== 'google_service_account_iam_member') {
        problems.push(`${where(module, block)} grants ${value} beyond one service account`);
      }
    }
  }
  return problems;
}

/** roles/bigquery.resourceViewer only for the function(s) whose entry point is in `allowed`. */
export function resourceViewerGrants(
  modules: Iterable<TfModule>,
  allowed: ReadonlySet<string>,
): string[] {
  const problems: string[] = [];
  for (const module of modules) {
    for (const { block, value } of allStrings(module)) {
      if (!value.includes('roles/bigquery.resourceViewer')) continue;
      const entryPoint = block.kind === 'module' ? block.body.entry_point : undefined;
      if (typeof entryPoint !== 'string' || !allowed.has(entryPoint)) {
        problems.push(`${where(module, block)} grants resourceViewer outside the analyzer`);
      }
    }
  }
  return problems;
}

/**
 * Every Cloud Function runs as a service account created in its own module, used by no other
 * function, and never the default compute account.
 */
export function functionServiceAccounts(modules: Iterable<TfModule>): string[] {
  const problems: string[] = [];
  for (const module of modules) {
    const used = new Map<string, string[]>();
    for (const fn of blocksOf(module, 'resource', 'google_cloudfunctions2_function')) {
      const email = nested(fn.body, 'service_config')?.service_account_email;
      const match =
        typeof email === 'string'
          ? /^\$\{google_service_account\.([\w-]+)\.email\}$/.exec(email)
          : null;
      if (!match) {
        problems.push(`${where(module, fn)} does not run as a service account of its own module`);
        continue;
      }
      const account = match[1]!;
      if (!blocksOf(module, 'resource', 'google_service_account').some((b) => b.name === account)) {
        problems.push(`${where(module, fn)} uses undeclared google_service_account.${account}`);
      }
      if ('for_each' in fn.body || 'count' in fn.body) {
        const sa = blocksOf(module, 'resource', 'google_service_account').find(
          (b) => b.name === account,
        );
        if (!sa || !('for_each' in sa.body || 'count' in sa.body)) {
          problems.push(`${where(module, fn)} repeats while its service account does not`);
        }
      }
      used.set(account, [...(used.get(account) ?? []), fn.name]);
    }
    for (const [account, fns] of used) {
      if (fns.length > 1)
        problems.push(`${module.dir}: ${fns.join(', ')} share google_service_account.${account}`);
    }
    for (const { block, value } of allStrings(module)) {
      if (value.includes('-compute@developer.gserviceaccount.com')) {
        problems.push(`${where(module, block)} uses the default compute service account`);
      }
    }
  }
  return problems;
}

/**
 * Every subscription has a dead-letter policy (topic + max attempts) and a retry policy, except
 * the subscriptions that drain a dead-letter topic. Push subscriptions authenticate with OIDC.
 */
export function subscriptionPolicies(modules: Iterable<TfModule>): string[] {
  const problems: string[] = [];
  for (const module of modules) {
    const subscriptions = blocksOf(module, 'resource', 'google_pubsub_subscription');
    const deadLetterTopics = new Set(
      subscriptions
        .map((s) => nested(s.body, 'dead_letter_policy')?.dead_letter_topic)
        .filter((t): t is string => typeof t === 'string'),
    );
    for (const sub of subscriptions) {
      if (typeof sub.body.topic === 'string' && deadLetterTopics.has(sub.body.topic)) continue;
      const deadLetter = nested(sub.body, 'dead_letter_policy');
      if (!deadLetter?.dead_letter_topic || deadLetter.max_delivery_attempts === undefined) {
        problems.push(`${where(module, sub)} has no dead-letter policy`);
      }
      const retry = nested(sub.body, 'retry_policy');
      if (!retry?.minimum_backoff || !retry.maximum_backoff) {
        problems.push(`${where(module, sub)} has no retry backoff`);
      }
      if (!sub.body.message_retention_duration) {
        problems.push(`${where(module, sub)} sets no message retention`);
      }
      const push = nested(sub.body, 'push_config');
      if (push && !nested(push, 'oidc_token')?.service_account_email) {
        problems.push(`${where(module, sub)} pushes without an OIDC token`);
      }
    }
  }
  return problems;
}

/** Shapes of real credentials; none may appear in any infra or workflow text. */
export const secretShapes: { name: string; pattern: RegExp }[] = [
  { name: 'Slack token', pattern: /xox[abposr]-[0-9A-Za-z-]{10,}/ },
  { name: 'Slack app token', pattern: /xapp-\d-[0-9A-Za-z-]{10,}/ },
  { name: 'Slack webhook', pattern: /hooks\.slack\.com\/services\/T[0-9A-Z]+\/B[0-9A-Z]+\/\w+/ },
  // Slack signing secrets are 32 hex chars; PagerDuty routing/integration keys 32 alphanumerics.
  { name: '32-character key', pattern: /["'=:\s][0-9a-zA-Z]{32}["'\s,]/ },
  { name: 'private key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { name: 'service account key', pattern: /"private_key_id"\s*:/ },
];

export function secretShapesIn(text: string): string[] {
  return secretShapes.filter(({ pattern }) => pattern.test(text)).map(({ name }) => name);
}

const secretName = /SECRET|TOKEN|ROUTING_KEY|PASSWORD|PRIVATE_KEY|API_KEY/i;

/**
 * Secrets reach functions only as secret_environment_variables; no secret version carries data;
 * variables that hold credentials are sensitive and have no default value.
 */
export function plaintextSecrets(modules: Iterable<TfModule>): string[] {
  const problems: string[] = [];
  for (const module of modules) {
    for (const block of module.blocks) {
      if (block.type === 'google_secret_manager_secret_version') {
        problems.push(`${where(module, block)} puts a secret value in Terraform`);
      }
      const plain: Json[] = [];
      if (block.type === 'google_cloudfunctions2_function') {
        plain.push(nested(block.body, 'service_config')?.environment_variables ?? null);
        plain.push(nested(block.body, 'build_config')?.environment_variables ?? null);
      }
      if (block.kind === 'module') plain.push(block.body.environment ?? null);
      for (const env of plain) {
        if (env && typeof env === 'object' && !Array.isArray(env)) {
          for (const key of Object.keys(env)) {
            if (secretName.test(key)) {
              problems.push(`${where(module, block)} sets ${key} as a plain environment variable`);
            }
          }
        }
      }
      // A string variable named like a credential (maps of secret ids are not values).
      const credential = /(token|secret|password|service_key|routing_key)$/i.test(block.name);
      if (block.kind === 'variable' && credential && block.body.type === '${string}') {
        if (block.body.sensitive !== true)
          problems.push(`${where(module, block)} is not sensitive`);
        if (block.body.default !== undefined && block.body.default !== null) {
          problems.push(`${where(module, block)} has a default value`);
        }
      }
    }
    // Plain env maps built in locals (`environment = merge(var.settings, { … })`).
    for (const { path, value } of strings(module.locals)) {
      const key = /\b([A-Z][A-Z0-9_]*(SECRET|TOKEN|ROUTING_KEY|PASSWORD)[A-Z0-9_]*)\s*=/.exec(
        value,
      );
      if (path.startsWith('.environment') && key) {
        problems.push(
          `${module.dir}: local.environment sets ${key[1]} as a plain environment variable`,
        );
      }
    }
    for (const { block, value } of allStrings(module)) {
      for (const shape of secretShapesIn(` ${value} `)) {
        problems.push(`${where(module, block)} contains a ${shape}`);
      }
    }
  }
  return problems;
}

/** allUsers / allAuthenticatedUsers only behind `count = var.public ? 1 : 0`. */
export function publicInvokers(modules: Iterable<TfModule>): string[] {
  const problems: string[] = [];
  for (const module of modules) {
    for (const block of module.blocks.filter(isIamGrant)) {
      const members = strings((block.body.member ?? block.body.members ?? null) as Json).map(
        (s) => s.value,
      );
      if (!members.some((m) => m === 'allUsers' || m === 'allAuthenticatedUsers')) continue;
      if (block.body.count !== '${var.public ? 1 : 0}') {
        problems.push(`${where(module, block)} makes a service public unconditionally`);
      }
    }
    for (const fn of blocksOf(module, 'resource', 'google_cloudfunctions2_function')) {
      const ingress = nested(fn.body, 'service_config')?.ingress_settings;
      if (
        ingress !== '${var.public ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"}' &&
        ingress !== 'ALLOW_INTERNAL_ONLY'
      ) {
        problems.push(
          `${where(module, fn)} ingress is not internal unless public: ${String(ingress)}`,
        );
      }
    }
  }
  return problems;
}

export const runbookPath = (policy: string) => `docs/runbooks/${policy.replaceAll('_', '-')}.md`;

/** Every alert policy links its runbook, which exists, explains, and links back. */
export function alertRunbooks(
  modules: Iterable<TfModule>,
  readRunbook: (path: string) => string | undefined,
): string[] {
  const problems: string[] = [];
  for (const module of modules) {
    for (const policy of blocksOf(module, 'resource', 'google_monitoring_alert_policy')) {
      const path = runbookPath(policy.name);
      const content = nested(policy.body, 'documentation')?.content;
      if (typeof content !== 'string' || !content.includes(path.slice('docs/runbooks/'.length))) {
        problems.push(`${where(module, policy)} does not link ${path}`);
      }
      if (!(policy.body.notification_channels as Json)) {
        problems.push(`${where(module, policy)} notifies nobody`);
      }
      const text = readRunbook(path);
      if (text === undefined) {
        problems.push(`${where(module, policy)}: ${path} is missing`);
        continue;
      }
      for (const heading of ['## What it means', '## How to check', '## How to fix']) {
        if (!text.includes(heading)) problems.push(`${path} has no "${heading}" section`);
      }
      if (!text.includes(`google_monitoring_alert_policy.${policy.name}`)) {
        problems.push(
          `${path} does not link back to google_monitoring_alert_policy.${policy.name}`,
        );
      }
    }
  }
  return problems;
}

export type { JsonObject };
