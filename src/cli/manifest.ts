import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AppError, badInput } from '../errors.js';
import * as args from './args.js';

// `bqcost manifest --url <request url>`: manifest.yml with its request URLs set for one
// environment. The committed manifest holds a template URL in every place Slack sends requests
// (slash command, interactivity, events); each environment's URL is Terraform's
// `slack_request_url` output (or a tunnel to the local receiver), always ending in /slack/events.

/** The request URL as written in manifest.yml; rendering replaces every occurrence. */
export const requestUrlTemplate = 'https://${SLACK_REQUEST_HOST}/slack/events';

/** The receiver's one endpoint (handlers/app.ts). */
const endpointPath = '/slack/events';

export const manifestHelp = `Usage: bqcost manifest --url <request url> [--template <manifest.yml>]

Prints manifest.yml with every request URL (slash command, interactivity, events) set to <url>,
ready to paste into "Create app → From a manifest" or an existing app's App Manifest page.
<url> is the environment's Slack request URL: \`terraform output -raw slack_request_url\` in
infra/environments/<env>, or https://<tunnel host>/slack/events for the local receiver.
It must be https and end in ${endpointPath}.

  --url <url>            the request URL (required)
  --template <file>      the manifest to render (default: the package's manifest.yml)
`;

/** A request URL Slack can call and the receiver answers: https, host, exactly /slack/events. */
export function parseRequestUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badInput('cli.bad_value', `--url must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'https:') {
    throw badInput('cli.bad_value', `--url must use https (Slack refuses http), got "${value}"`);
  }
  if (url.pathname !== endpointPath || url.search !== '' || url.hash !== '' || url.username) {
    throw badInput(
      'cli.bad_value',
      `--url must be https://<host>${endpointPath} (the receiver's endpoint), got "${value}"`,
    );
  }
  return `${url.origin}${endpointPath}`;
}

/** The manifest text with every template URL replaced; the rest of the text is unchanged. */
export function renderManifest(template: string, requestUrl: string): string {
  const url = parseRequestUrl(requestUrl);
  const parts = template.split(requestUrlTemplate);
  if (parts.length === 1) {
    throw badInput(
      'manifest.no_template',
      `the manifest has no ${requestUrlTemplate} to replace (already rendered?)`,
    );
  }
  const rendered = parts.join(url);
  const leftover = /\$\{[A-Z_]+\}/.exec(rendered);
  if (leftover) {
    throw badInput(
      'manifest.unknown_placeholder',
      `the manifest still holds ${leftover[0]} after rendering`,
    );
  }
  return rendered;
}

/** manifest.yml at the package root (from src/cli under tsx, dist/src/cli built). */
function defaultTemplatePath(): string {
  for (const up of ['../../', '../../../']) {
    const path = fileURLToPath(new URL(`${up}manifest.yml`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new AppError('config.missing', 'manifest.yml is missing from the package');
}

export function manifestCommand(argv: string[]): number {
  const { values } = args.parse('manifest', argv, {
    url: { type: 'string' },
    template: { type: 'string' },
  });
  if (values.help) {
    process.stdout.write(manifestHelp);
    return 0;
  }
  const url = args.required('url', 'manifest', values.url);
  const path = values.template ?? defaultTemplatePath();
  let template: string;
  try {
    template = readFileSync(path, 'utf8');
  } catch (error) {
    throw badInput(
      'manifest.unreadable',
      `${path} cannot be read: ${(error as Error).message}`,
      error,
    );
  }
  process.stdout.write(renderManifest(template, url));
  return 0;
}
