// The GitHub workflows, parsed as YAML and checked for structure: CI runs the same .ci/run as
// local checks plus Terraform fmt/validate; deploy builds the source archive once, applies dev,
// then prod behind the `production` environment; Workload Identity Federation, no keys, no
// inlined secrets, actions pinned to exact versions.
import { describe, expect, it } from 'vitest';
import { tokenShaped } from '../helpers/slack.js';
import { parse } from 'yaml';
import { readRepoFile } from './hcl.js';
import { secretShapesIn } from './policies.js';

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const load = (file: string) => parse(readRepoFile(`.github/workflows/${file}`)) as Workflow;
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
const uses = (job: Job) => job.steps.map((s) => s.uses ?? '').filter(Boolean);

/** Only these secrets may be referenced, and only in these jobs. */
const allowedSecrets: Record<string, string[]> = { PAGERDUTY_SERVICE_KEY: ['prod'] };

/** Rules every workflow obeys; returns the violations. */
function workflowProblems(workflow: Workflow, text: string): string[] {
  const problems: string[] = [];
  for (const [name, job] of Object.entries(workflow.jobs)) {
    for (const step of job.steps) {
      if (step.uses && !/^[\w.-]+\/[\w./-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/.test(step.uses)) {
        problems.push(`${name}: ${step.uses} is not pinned to an exact version`);
      }
      if (step.with && ('credentials_json' in step.with || 'credentials' in step.with)) {
        problems.push(`${name}: uses a service account key`);
      }
      if (step.uses?.startsWith('google-github-actions/auth@')) {
        if (!step.with?.workload_identity_provider) {
          problems.push(`${name}: authenticates without Workload Identity Federation`);
        }
        if (job.permissions?.['id-token'] !== 'write') {
          problems.push(`${name}: WIF needs permissions id-token: write on the job`);
        }
      }
    }
    const jobText = JSON.stringify(job);
    for (const match of jobText.matchAll(/secrets\.([A-Z0-9_]+)/g)) {
      if (!allowedSecrets[match[1]!]?.includes(name)) {
        problems.push(`${name}: references secrets.${match[1]}`);
      }
    }
  }
  if (workflow.permissions?.contents !== 'read' || Object.keys(workflow.permissions).length !== 1) {
    problems.push('workflow permissions are not read-only by default');
  }
  for (const shape of secretShapesIn(text)) problems.push(`contains a ${shape}`);
  return problems;
}

describe('ci.yml', () => {
  const text = readRepoFile('.github/workflows/ci.yml');
  const ci = load('ci.yml');

  it('runs on pushes to main and on pull requests', () => {
    expect(ci.on).toHaveProperty('pull_request');
    expect(ci.on.push).toEqual({ branches: ['main'] });
  });

  it('runs .ci/run (npm ci, typecheck, lint, boundaries, tests) with the Pub/Sub emulator installed', () => {
    const test = ci.jobs.test!;
    expect(runs(test)).toMatch(/^\.ci\/run$/m);
    const gcloud = test.steps.find((s) =>
      s.uses?.startsWith('google-github-actions/setup-gcloud@'),
    );
    expect(String(gcloud?.with?.install_components)).toContain('pubsub-emulator');
    expect(test.steps.some((s) => s.uses?.startsWith('actions/setup-java@'))).toBe(true);
    const ciRun = readRepoFile('.ci/run');
    expect(ciRun).toMatch(/^npm ci\b/m);
    expect(ciRun).toMatch(/^npm test$/m);
    const scripts = (
      JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }
    ).scripts;
    for (const step of ['typecheck', 'lint', 'boundaries'])
      expect(scripts.test).toContain(`npm run ${step}`);
    expect(scripts.test).toContain('vitest run');
  });

  it('checks terraform fmt and validates both environment roots', () => {
    const terraform = ci.jobs.terraform!;
    expect(uses(terraform).some((u) => u.startsWith('hashicorp/setup-terraform@'))).toBe(true);
    expect(runs(terraform)).toContain('terraform fmt -check -recursive');
    expect(runs(terraform)).toContain('init -backend=false');
    expect(runs(terraform)).toContain('validate');
    expect(runs(terraform)).toContain('for env in dev prod');
  });

  it('obeys the workflow rules', () => {
    expect(workflowProblems(ci, text)).toEqual([]);
  });
});

describe('deploy.yml', () => {
  const text = readRepoFile('.github/workflows/deploy.yml');
  const deploy = load('deploy.yml');
  const envName = (job: Job) =>
    typeof job.environment === 'string' ? job.environment : job.environment?.name;

  it('deploys from main (and on demand), one run at a time', () => {
    expect(deploy.on.push).toEqual({ branches: ['main'] });
    expect(deploy.on).toHaveProperty('workflow_dispatch');
    expect(text).toMatch(/cancel-in-progress: false/);
  });

  it('builds the function source archive once: npm ci, build, dist + package files, uploaded', () => {
    const build = deploy.jobs.build!;
    expect(runs(build)).toContain('npm ci');
    expect(runs(build)).toContain('npm run build');
    expect(runs(build)).toMatch(/cp -R dist build\/pkg\/dist/);
    expect(runs(build)).toContain('package-lock.json');
    expect(runs(build)).toContain('build/pkg/package.json');
    expect(runs(build)).toContain('dist/src/index.js');
    expect(runs(build)).toContain('delete pkg.scripts.prepare');
    // npm ci refuses a package.json that disagrees with the lock file.
    expect(runs(build)).not.toContain('delete pkg.devDependencies');
    const upload = build.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    expect(upload?.with?.path).toBe('build/bqcost-functions.zip');
  });

  it.each([
    ['dev', 'build', 'dev'],
    ['prod', 'dev', 'production'],
  ])(
    '%s: after %s, in the %s environment, plans then applies that plan',
    (job, needs, environment) => {
      const j = deploy.jobs[job]!;
      expect([j.needs].flat()).toEqual([needs]);
      expect(envName(j)).toBe(environment);
      const dir = `infra/environments/${job}`;
      const commands = runs(j);
      expect(commands).toContain(`terraform -chdir=${dir} init`);
      expect(commands).toContain(`terraform -chdir=${dir} plan -input=false -out=tfplan`);
      expect(commands).toContain(`terraform -chdir=${dir} apply -input=false tfplan`);
      expect(commands.indexOf(' plan ')).toBeLessThan(commands.indexOf(' apply '));
      expect(uses(j).some((u) => u.startsWith('actions/download-artifact@'))).toBe(true);
      expect(j.env?.TF_VAR_source_archive).toContain('build/bqcost-functions.zip');
    },
  );

  it.each(['dev', 'prod'])(
    '%s: passes the function settings and the owner routing rules to Terraform before planning',
    (job) => {
      const j = deploy.jobs[job]!;
      expect(j.env?.TF_VAR_settings).toBe("${{ vars.BQCOST_SETTINGS || '{}' }}");
      const routing = j.steps.find((s) => s.name === 'owner routing rules');
      expect(routing?.if).toBe("${{ vars.BQCOST_ROUTING_JSON != '' }}");
      expect(routing?.run).toContain('TF_VAR_routing_file=');
      expect(routing?.run).toContain('>> "$GITHUB_ENV"');
      const order = j.steps.map((s) => s.name ?? s.uses ?? '');
      expect(order.indexOf('owner routing rules')).toBeLessThan(order.indexOf('terraform plan'));
    },
  );

  it('prod needs the approval-protected environment and is the only job with the PagerDuty key', () => {
    expect(envName(deploy.jobs.prod!)).toBe('production');
    expect(deploy.jobs.prod!.env?.TF_VAR_pagerduty_service_key).toBe(
      '${{ secrets.PAGERDUTY_SERVICE_KEY }}',
    );
    expect(JSON.stringify(deploy.jobs.dev)).not.toContain('secrets.');
  });

  it('obeys the workflow rules (WIF, no keys, no inlined secrets, pinned actions)', () => {
    expect(workflowProblems(deploy, text)).toEqual([]);
    expect(text).not.toMatch(/credentials_json|GOOGLE_APPLICATION_CREDENTIALS/);
  });
});

describe('the workflow rules catch broken workflows', () => {
  it('reports unpinned actions, keys, WIF without id-token, stray secrets and write permissions', () => {
    const text = `
permissions:
  contents: write
jobs:
  deploy:
    steps:
      - uses: actions/checkout@v4
      - uses: google-github-actions/auth@main
        with:
          credentials_json: \${{ secrets.GCP_KEY }}
      - run: echo ${tokenShaped('xoxb', '1234567890', '1234567890', 'abcdefabcdefabcd')}
`;
    const problems = workflowProblems(parse(text) as Workflow, text);
    expect(problems).toEqual(
      expect.arrayContaining([
        'deploy: actions/checkout@v4 is not pinned to an exact version',
        'deploy: google-github-actions/auth@main is not pinned to an exact version',
        'deploy: uses a service account key',
        'deploy: authenticates without Workload Identity Federation',
        'deploy: WIF needs permissions id-token: write on the job',
        'deploy: references secrets.GCP_KEY',
        'workflow permissions are not read-only by default',
        'contains a Slack token',
      ]),
    );
    expect(problems).toHaveLength(8);
  });
});
