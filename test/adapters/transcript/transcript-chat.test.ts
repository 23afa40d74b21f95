import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plainMrkdwn, renderBlocks } from '../../../src/adapters/transcript/render-blocks.js';
import { TranscriptChat } from '../../../src/adapters/transcript/transcript-chat.js';

const card = [
  { type: 'header', text: { type: 'plain_text', text: 'Partition `p.d.events`' } },
  {
    type: 'section',
    text: { type: 'mrkdwn', text: '*$1,234/month* &lt;script&gt; for <@U123>' },
    fields: [{ type: 'mrkdwn', text: '*Confidence* high' }],
  },
  { type: 'context', elements: [{ type: 'mrkdwn', text: 'method: bytes × $6.25/TiB' }] },
  {
    type: 'actions',
    elements: [
      { type: 'button', text: { type: 'plain_text', text: 'Accept' }, action_id: 'rec_accept' },
      { type: 'button', text: { type: 'plain_text', text: 'Snooze' }, action_id: 'rec_snooze' },
    ],
  },
  { type: 'divider' },
];

describe('renderBlocks', () => {
  it('renders headers, sections, fields, context and buttons as readable lines', () => {
    expect(renderBlocks(card, 'fallback').split('\n')).toEqual([
      '== Partition `p.d.events` ==',
      '*$1,234/month* <script> for @U123',
      '  *Confidence* high',
      '  method: bytes × $6.25/TiB',
      '[Accept] [Snooze]',
      '----',
    ]);
  });

  it('falls back to the text when there are no blocks', () => {
    expect(renderBlocks(undefined, 'hello &amp; bye')).toBe('hello & bye');
  });

  it('makes links, channels and user groups readable', () => {
    expect(
      plainMrkdwn('<https://x.test/a|docs> in <#C1|cost> cc <!subteam^S9|oncall> <!here>'),
    ).toBe('docs (https://x.test/a) in #cost cc @oncall @here');
  });
});

describe('TranscriptChat', () => {
  it('writes each call to the terminal and the exact blocks to the JSON-lines file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bqcost-transcript-'));
    const file = join(dir, 'nested', 'transcript.jsonl');
    const out: string[] = [];
    const chat = new TranscriptChat({
      file,
      write: (t) => out.push(t),
      users: { U1: 'ana@example.com' },
      now: () => new Date('2026-11-28T08:00:00Z'),
    });
    const first = await chat.postMessage('C1', { text: 'card', blocks: card });
    const second = await chat.postMessage('C1', { text: 'plain' });
    await chat.update('C1', first.ts, { text: 'accepted' });
    await chat.postEphemeral('C1', 'U1', { text: 'Done.' });

    expect(first.ts).not.toBe(second.ts);
    expect(first.ts).toMatch(/^\d+\.\d{6}$/);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.method)).toEqual([
      'chat.postMessage',
      'chat.postMessage',
      'chat.update',
      'chat.postEphemeral',
    ]);
    expect(lines[0].blocks).toEqual(card);
    expect(lines[2].ts).toBe(first.ts);
    expect(out.join('')).toContain('[Accept] [Snooze]');
    expect(out.join('')).toContain('only @U1 sees this');
    expect(await chat.userEmail('U1')).toBe('ana@example.com');
    expect(await chat.userEmail('U2')).toBeNull();
    expect(await chat.lookupUserByEmail('ANA@example.com')).toBe('U1');
    expect(await chat.lookupUserByEmail('bob@example.com')).toBeNull();
  });
});
