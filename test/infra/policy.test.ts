// Infrastructure policy checklist. Terraform cannot plan here (no provider downloads), so every
// .tf file is parsed with HashiCorp's HCL parser and the rules are checked on the result. The
// negative cases at the end feed broken snippets to the same checks to show each one can fail.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenShaped } from '../helpers/slack.js';
import { functions } from '../../src/domain/topology.js';
import {
  infraRoot,
  loadInfra,
  missingFiles,
  moduleCallProblems,
  moduleDirs,
  parseModule,
  readRepoFile,
  repoPathExists,
  repoRoot,
  tfFilesIn,
  unresolvedReferences,
  type TfModule,
} from './hcl.js';
import {
  adminGrants,
  alertRunbooks,
  functionServiceAccounts,
  plaintextSecrets,
  primitiveRoles,
  projectWideImpersonation,
  publicInvokers,
  resourceViewerGrants,
  secretShapesIn,
  subscriptionPolicies,
  untypedVariables,
} from './policies.js';
import { parse } from '@cdktf/hcl2json';

let infra: Map<string, TfModule>;
let all: TfModule[];

beforeAll(async () => {
  infra = await loadInfra();
  all = [...infra.values()];
});

const readRunbook = (path: string) => (repoPathExists(path) ? readRepoFile(path) : undefined);
const analyzers = new Set(
  functions.filter((f) => f.needs.includes('information_schema')).map((f) => f.name),
);

describe('infra layout', () => {
  it.each([
    'backups',
    'bigquery',
    'bqcost',
    'function',
    'iam',
    'monitoring',
    'network',
    'pubsub',
    'scheduler',
    'secrets',
  ])('modules/%s has main, variables, outputs, versions and a README', (unit) => {
    for (const file of ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md']) {
      expect(repoPathExists(`infra/modules/${unit}/${file}`), `${unit}/${file}`).toBe(true);
    }
  });

  it.each(['dev', 'prod'])(
    'environments/%s is a root with a GCS backend and a tfvars example',
    async (env) => {
      const root = infra.get(`infra/environments/${env}`)!;
      const backend = root.files['backend.tf']?.terraform;
      expect(JSON.stringify(backend)).toContain('"gcs"');
      expect(JSON.stringify(backend)).toContain(`bqcost/${env}`);
      expect(repoPathExists(`infra/environments/${env}/terraform.tfvars.example`)).toBe(true);
      const example = readRepoFile(`infra/environments/${env}/terraform.tfvars.example`);
      const values = await parse('terraform.tfvars', example);
      const declared = new Set(root.blocks.filter((b) => b.kind === 'variable').map((b) => b.name));
      for (const key of Object.keys(values)) expect(declared, key).toContain(key);
    },
  );
});

describe('terraform checklist', () => {
  it('every module and root pins Terraform and the google provider with an upper bound', () => {
    for (const module of all) {
      const text = JSON.stringify(module.files['versions.tf']?.terraform ?? null);
      expect(text, module.dir).toMatch(/"required_version":">= 1\.5\.0"/);
      expect(text, module.dir).toContain('"source":"hashicorp/google"');
      expect(text, module.dir).toMatch(/"version":">= [\d.]+, < [\d.]+"/);
    }
  });

  it('every .tf file parses with the HCL parser', async () => {
    const dirs = moduleDirs();
    expect(dirs.length).toBeGreaterThanOrEqual(12);
    for (const dir of dirs) {
      for (const file of tfFilesIn(dir)) {
        await expect(parse(file, readFileSync(join(dir, file), 'utf8'))).resolves.toBeTypeOf(
          'object',
        );
      }
    }
  });

  it('every reference to a resource, data source, module output, variable or local resolves', async () => {
    const problems = (await Promise.all(all.map((m) => unresolvedReferences(m, infra)))).flat();
    expect(problems).toEqual([]);
  });

  it('every module call passes only declared variables and all required ones', () => {
    expect(all.flatMap((m) => moduleCallProblems(m, infra))).toEqual([]);
  });

  it('every file() a module reads exists', () => {
    expect(all.flatMap(missingFiles)).toEqual([]);
  });

  it('every variable has a type and a description', () => {
    expect(untypedVariables(all)).toEqual([]);
  });

  it('no basic role (owner / editor / viewer) anywhere', () => {
    expect(primitiveRoles(all)).toEqual([]);
  });

  it('no admin role granted', () => {
    expect(adminGrants(all)).toEqual([]);
  });

  it('no project-wide serviceAccountUser / serviceAccountTokenCreator', () => {
    expect(projectWideImpersonation(all)).toEqual([]);
  });

  it('INFORMATION_SCHEMA access (resourceViewer) only for the analyzer', () => {
    expect(analyzers.size).toBeGreaterThan(0);
    expect(resourceViewerGrants(all, analyzers)).toEqual([]);
    expect(JSON.stringify(all.map((m) => m.blocks))).toContain('roles/bigquery.resourceViewer');
  });

  it('every function runs as its own service account, never the default compute one', () => {
    expect(functionServiceAccounts(all)).toEqual([]);
  });

  it('every subscription has a dead-letter policy, retry backoff, retention and OIDC push', () => {
    expect(subscriptionPolicies(all)).toEqual([]);
  });

  it('no secret value in plain text; secrets only as secret environment variables', () => {
    expect(plaintextSecrets(all)).toEqual([]);
    for (const env of ['dev', 'prod']) {
      const example = readRepoFile(`infra/environments/${env}/terraform.tfvars.example`);
      expect(secretShapesIn(example)).toEqual([]);
      expect(example).not.toMatch(/pagerduty_service_key\s*=/);
    }
  });

  it('only the Slack receiver can be public; every other function has internal ingress', () => {
    expect(publicInvokers(all)).toEqual([]);
  });

  it('every alert policy has a runbook page that explains it and links back', () => {
    const monitoring = infra.get('infra/modules/monitoring')!;
    expect(
      monitoring.blocks.filter((b) => b.type === 'google_monitoring_alert_policy').length,
    ).toBeGreaterThanOrEqual(4);
    expect(alertRunbooks(all, readRunbook)).toEqual([]);
  });

  it.skipIf(!hasTerraform())('terraform fmt -check finds nothing to change', () => {
    expect(() =>
      execFileSync('terraform', ['fmt', '-check', '-recursive', infraRoot], {
        cwd: repoRoot,
        env: { ...process.env, CHECKPOINT_DISABLE: '1' },
        stdio: 'pipe',
      }),
    ).not.toThrow();
  });
});

function hasTerraform(): boolean {
  try {
    execFileSync('terraform', ['version'], {
      stdio: 'ignore',
      env: { ...process.env, CHECKPOINT_DISABLE: '1' },
    });
    return true;
  } catch {
    return false;
  }
}

describe('the checks catch broken infrastructure', () => {
  const mod = (text: string, dir = 'infra/modules/broken') => parseModule(dir, { 'main.tf': text });

  it('rejects a file that does not parse', async () => {
    await expect(mod('resource "google_pubsub_topic" "x" {')).rejects.toThrow(
      /Unclosed configuration block/,
    );
  });

  it('reports references to undeclared variables, locals, resources and module outputs', async () => {
    const callee = await mod('output "uri" {\n  value = "x"\n}\n', 'infra/modules/callee');
    const broken = await mod(`
      locals { known = "a" }
      module "fn" { source = "../callee" }
      resource "google_pubsub_topic" "main" {
        name   = "\${var.missing}-\${local.unknown}-\${local.known}"
        labels = { a = google_service_account.nowhere.email, b = module.fn.url, c = module.fn.uri }
        dynamic "schema_settings" {
          for_each = [1]
          content { schema = schema_settings.value }
        }
        kms_key_name = each.key
      }
    `);
    const modules = new Map([
      ['infra/modules/callee', callee],
      ['infra/modules/broken', broken],
    ]);
    const problems = await unresolvedReferences(broken, modules);
    expect(problems.map((p) => p.split(': ').pop()).sort()).toEqual([
      'each.key does not resolve',
      'google_service_account.nowhere.email does not resolve',
      'local.unknown does not resolve',
      'module.fn.url does not resolve',
      'var.missing does not resolve',
    ]);
    expect(problems).toHaveLength(5);
  });

  it('reports a module call with an unknown argument or a missing required variable', async () => {
    const callee = await mod(
      'variable "name" {\n  type = string\n  description = "The name."\n}\n',
      'infra/modules/callee',
    );
    const caller = await mod('module "c" {\n  source = "../callee"\n  nmae = "typo"\n}\n');
    const problems = moduleCallProblems(caller, new Map([['infra/modules/callee', callee]]));
    expect(problems.join('\n')).toMatch(/passes nmae/);
    expect(problems.join('\n')).toMatch(/misses required variable name/);
  });

  it('reports a variable without type or description', async () => {
    const broken = await mod('variable "x" {\n  default = 1\n}\n');
    expect(untypedVariables([broken])).toHaveLength(2);
  });

  it('reports basic roles, admin roles and project-wide impersonation', async () => {
    const broken = await mod(`
      resource "google_project_iam_member" "a" {
        project = "p"
        role    = "roles/editor"
        member  = "serviceAccount:x@p.iam.gserviceaccount.com"
      }
      resource "google_project_iam_member" "b" {
        project = "p"
        role    = "roles/bigquery.admin"
        member  = "serviceAccount:x@p.iam.gserviceaccount.com"
      }
      resource "google_project_iam_member" "c" {
        project = "p"
        role    = "roles/iam.serviceAccountTokenCreator"
        member  = "serviceAccount:x@p.iam.gserviceaccount.com"
      }
    `);
    expect(primitiveRoles([broken])).toHaveLength(1);
    expect(adminGrants([broken])).toHaveLength(1);
    expect(projectWideImpersonation([broken])).toHaveLength(1);
  });

  it('reports resourceViewer granted to a function other than the analyzer', async () => {
    const broken = await mod(`
      module "fn_notifier" {
        source        = "../function"
        entry_point   = "notifier"
        project_roles = ["roles/bigquery.resourceViewer"]
      }
    `);
    expect(resourceViewerGrants([broken], analyzers)).toHaveLength(1);
  });

  it('reports functions sharing a service account or running as the default one', async () => {
    const broken = await mod(`
      resource "google_service_account" "shared" { account_id = "shared" }
      resource "google_cloudfunctions2_function" "a" {
        service_config { service_account_email = google_service_account.shared.email }
      }
      resource "google_cloudfunctions2_function" "b" {
        service_config { service_account_email = google_service_account.shared.email }
      }
      resource "google_cloudfunctions2_function" "c" {
        service_config { service_account_email = "123-compute@developer.gserviceaccount.com" }
      }
    `);
    const problems = functionServiceAccounts([broken]).join('\n');
    expect(problems).toMatch(/a, b share google_service_account.shared/);
    expect(problems).toMatch(/function.c does not run as a service account of its own module/);
    expect(problems).toMatch(/default compute service account/);
  });

  it('reports a subscription without dead-letter policy, backoff, retention or OIDC', async () => {
    const broken = await mod(`
      resource "google_pubsub_subscription" "push" {
        topic = "t"
        push_config { push_endpoint = "https://example.run.app" }
      }
    `);
    expect(subscriptionPolicies([broken])).toHaveLength(4);
  });

  it('reports secrets in plain text', async () => {
    const broken = await mod(`
      variable "pagerduty_service_key" {
        type        = string
        description = "Integration key."
        default     = "abc"
      }
      resource "google_secret_manager_secret_version" "v" {
        secret      = "s"
        secret_data = "not-a-secret"
      }
      resource "google_cloudfunctions2_function" "f" {
        service_config {
          environment_variables = { SLACK_BOT_TOKEN = "${tokenShaped('xoxb', '1111111111', '2222222222', 'abcdefabcdef')}" }
        }
      }
      locals {
        environment = merge(var.settings, { BQCOST_PROJECT = "p", SLACK_SIGNING_SECRET = "x" })
      }
      resource "google_monitoring_notification_channel" "pd" {
        sensitive_labels { service_key = "0123456789abcdef0123456789abcdef" }
      }
    `);
    const problems = plaintextSecrets([broken]).join('\n');
    expect(problems).toMatch(/pagerduty_service_key is not sensitive/);
    expect(problems).toMatch(/pagerduty_service_key has a default value/);
    expect(problems).toMatch(/puts a secret value in Terraform/);
    expect(problems).toMatch(/sets SLACK_BOT_TOKEN as a plain environment variable/);
    expect(problems).toMatch(/contains a Slack token/);
    expect(problems).toMatch(/contains a 32-character key/);
    expect(problems).toMatch(
      /local.environment sets SLACK_SIGNING_SECRET as a plain environment variable/,
    );
  });

  it('reports an unconditional public invoker and public worker ingress', async () => {
    const broken = await mod(`
      resource "google_cloud_run_v2_service_iam_member" "open" {
        name   = "worker"
        role   = "roles/run.invoker"
        member = "allUsers"
      }
      resource "google_cloudfunctions2_function" "worker" {
        service_config { ingress_settings = "ALLOW_ALL" }
      }
    `);
    expect(publicInvokers([broken])).toHaveLength(2);
  });

  it('reports an alert policy without a runbook', async () => {
    const broken = await mod(`
      resource "google_monitoring_alert_policy" "mystery_alert" {
        display_name = "x"
        documentation { content = "no link" }
      }
    `);
    const problems = alertRunbooks([broken], readRunbook).join('\n');
    expect(problems).toMatch(/does not link docs\/runbooks\/mystery-alert.md/);
    expect(problems).toMatch(/docs\/runbooks\/mystery-alert.md is missing/);
    expect(problems).toMatch(/notifies nobody/);
  });
});
