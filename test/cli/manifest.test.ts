import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseRequestUrl, renderManifest, requestUrlTemplate } from '../../src/cli/manifest.js';
import { tempDir } from '../fixtures/builders.js';
import { runCli } from '../helpers/run-cli.js';

// manifest.yml holds a template request URL; `bqcost manifest --url` renders it per environment.

const template = readFileSync(
  fileURLToPath(new URL('../../manifest.yml', import.meta.url)),
  'utf8',
);
const url = 'https://bqcost-slack-4f2x9abcde-uc.a.run.app/slack/events';

interface Manifest {
  features?: { slash_commands?: { url?: string }[] };
  settings?: {
    interactivity?: { request_url?: string };
    event_subscriptions?: { request_url?: string };
  };
}

/** Every place Slack reads a request URL from. */
function requestUrls(manifest: Manifest): (string | undefined)[] {
  return [
    ...(manifest.features?.slash_commands ?? []).map((c) => c.url),
    manifest.settings?.interactivity?.request_url,
    manifest.settings?.event_subscriptions?.request_url,
  ];
}

describe('renderManifest', () => {
  it('sets every request URL to the given one and leaves no placeholder', () => {
    const rendered = renderManifest(template, url);
    expect(rendered).not.toContain('${');
    expect(rendered).not.toContain('SLACK_REQUEST_HOST');
    const urls = requestUrls(parse(rendered) as Manifest);
    expect(urls.length).toBeGreaterThanOrEqual(3);
    for (const value of urls) expect(value).toBe(url);
  });

  it('changes nothing but the request URLs', () => {
    const rendered = parse(renderManifest(template, url)) as Manifest;
    const original = parse(template) as Manifest;
    for (const value of requestUrls(original)) expect(value).toBe(requestUrlTemplate);
    const restored = parse(
      renderManifest(template, url).split(url).join(requestUrlTemplate),
    ) as Manifest;
    expect(restored).toEqual(original);
    expect(rendered).not.toEqual(original);
  });

  it('normalises the host and keeps a port (a tunnel)', () => {
    expect(parseRequestUrl('https://Example.NGROK.app:8443/slack/events')).toBe(
      'https://example.ngrok.app:8443/slack/events',
    );
  });

  it.each([
    ['http://bqcost.example.com/slack/events', /must use https/],
    ['https://bqcost-slack-4f2x9abcde-uc.a.run.app', /must be https:\/\/<host>\/slack\/events/],
    ['https://bqcost.example.com/slack/events?x=1', /must be https:\/\/<host>\/slack\/events/],
    ['https://bqcost.example.com/other/slack/events', /must be https:\/\/<host>\/slack\/events/],
    ['bqcost.example.com/slack/events', /must be an absolute URL/],
  ])('refuses %s', (bad, message) => {
    expect(() => renderManifest(template, bad)).toThrow(message);
  });

  it('refuses a manifest that has no template left (already rendered)', () => {
    expect(() => renderManifest(renderManifest(template, url), url)).toThrow(/already rendered/);
  });

  it('refuses to leave another placeholder in the output', () => {
    const other = `${template}\nextra: https://\${OTHER_HOST}/x\n`;
    expect(() => renderManifest(other, url)).toThrow(/still holds \$\{OTHER_HOST\}/);
  });
});

describe('bqcost manifest', () => {
  it('prints the rendered manifest of the package', () => {
    const result = runCli(['manifest', '--url', url]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(renderManifest(template, url));
  });

  it('renders another template file', () => {
    const file = join(tempDir(), 'manifest.yml');
    writeFileSync(file, `settings:\n  interactivity:\n    request_url: ${requestUrlTemplate}\n`);
    const result = runCli(['manifest', '--url', url, '--template', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`settings:\n  interactivity:\n    request_url: ${url}\n`);
  });

  it('exits 2 with the reason for a missing or bad URL, and documents itself', () => {
    const missing = runCli(['manifest']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--url is required');
    const bad = runCli(['manifest', '--url', 'http://localhost:3000/slack/events']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'bqcost: --url must use https (Slack refuses http), got "http://localhost:3000/slack/events"\n',
    );
    expect(bad.stdout).toBe('');
    const help = runCli(['manifest', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: bqcost manifest --url');
  });
});
