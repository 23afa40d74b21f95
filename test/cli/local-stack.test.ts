// `npm start`'s loop, as the CLI runs it: the demo organisation in the embedded warehouse, the
// workers over the in-process bus (and over the real Pub/Sub emulator), Slack output in the
// transcript, the receiver on localhost answering signed commands, and a clean shutdown.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbWarehouse } from '../../src/adapters/duckdb/duckdb-warehouse.js';
import { writeDemoExports } from '../../src/app/demo-export-writer.js';
import { loadExports } from '../../src/cli/load.js';
import { startLocalStack, type LocalStack } from '../../src/cli/local-stack.js';
import { sendLocalCommand, signedCommand } from '../../src/cli/slack-local.js';
import { loadConfig } from '../../src/config.js';
import { tempDir } from '../fixtures/builders.js';
import { emulatorAvailable, startPubSubEmulator } from '../helpers/pubsub-emulator.js';

const end = new Date('2026-11-20T00:00:00Z');

async function seeded(): Promise<{ dir: string; warehouse: DuckDbWarehouse }> {
  const dir = tempDir('bqcost-local-');
  await writeDemoExports(join(dir, 'demo'), { seed: 11, days: 40, jobsPerDay: 120, end });
  const warehouse = await DuckDbWarehouse.open(join(dir, 'bqcost.duckdb'));
  await loadExports(warehouse, join(dir, 'demo'), { strict: false, quiet: true });
  return { dir, warehouse };
}

interface Entry {
  method: string;
  channel?: string;
  text: string;
  blocks?: unknown[];
}

function transcript(file: string): Entry[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Entry);
}

function expectWholeLoop(entries: Entry[]): void {
  const posts = entries.filter((e) => e.method === 'chat.postMessage');
  const cards = posts.filter((e) => JSON.stringify(e.blocks).includes('rec_accept'));
  const digests = posts.filter((e) => JSON.stringify(e.blocks).includes('bqcost daily digest'));
  const onCall = posts.filter(
    (e) => e.channel === 'C0ONCALL00' && JSON.stringify(e.blocks).includes('Cost anomaly'),
  );
  expect(cards.length).toBeGreaterThan(0);
  expect(digests.length).toBeGreaterThan(1);
  expect(new Set(digests.map((d) => d.channel)).size).toBe(digests.length);
  expect(onCall.length).toBeGreaterThan(0);
  expect(entries.some((e) => e.method === 'pagerduty.trigger')).toBe(true);
}

describe('the local stack (in-process bus)', () => {
  let stack: LocalStack;
  let warehouse: DuckDbWarehouse;
  let dir: string;
  const out: string[] = [];

  beforeAll(async () => {
    ({ dir, warehouse } = await seeded());
    stack = await startLocalStack({
      config: loadConfig({ BQCOST_DB: join(dir, 'bqcost.duckdb'), BQCOST_SLACK_PORT: '0' }),
      warehouse,
      write: (text) => out.push(text),
      windowEnd: end,
      windowDays: 30,
      stateDir: dir,
      demo: true,
      serve: true,
    });
  }, 180_000);

  afterAll(async () => {
    await stack?.close();
    await warehouse?.close();
  });

  it('runs analysis → cards → digest → escalation → page into the transcript', () => {
    expect(stack.transcriptFile).toBe(join(dir, 'transcript.jsonl'));
    expectWholeLoop(transcript(stack.transcriptFile!));
    const terminal = out.join('');
    expect(terminal).toContain('▶ analysisWorker');
    expect(terminal).toContain('[Accept] [Snooze] [Dismiss]');
    expect(terminal).toContain('escalated to on-call');
    expect(terminal).toContain('TRIGGER');
  });

  it('serves the receiver: a signed command is answered, a forged one refused', async () => {
    const answer = await sendLocalCommand(stack.signingSecret, {
      text: 'help',
      url: stack.url!,
      user: 'U0LOCAL01',
      channel: 'C0FINOPS00',
      team: 'T0LOCAL00',
    });
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('/bqcost summary');
    const forged = await sendLocalCommand('not-the-secret', {
      text: 'help',
      url: stack.url!,
      user: 'U0LOCAL01',
      channel: 'C0FINOPS00',
      team: 'T0LOCAL00',
    });
    expect(forged.status).toBe(401);
  });

  it('keeps the local signing secret beside the database, private to the user', () => {
    const file = join(dir, 'local-signing-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(stack.signingSecret);
    const signed = signedCommand(stack.signingSecret, {
      text: 'x',
      user: 'U1',
      channel: 'C1',
      team: 'T1',
    });
    expect(signed.headers['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
  });

  it('a second run over the same warehouse posts nothing twice', async () => {
    const before = transcript(stack.transcriptFile!).filter((e) => e.method === 'chat.postMessage');
    const again = await startLocalStack({
      config: loadConfig({ BQCOST_DB: join(dir, 'bqcost.duckdb') }),
      warehouse,
      write: () => undefined,
      windowEnd: end,
      windowDays: 30,
      stateDir: dir,
      demo: true,
      serve: false,
    });
    await again.close();
    const after = transcript(stack.transcriptFile!).filter((e) => e.method === 'chat.postMessage');
    expect(after.length).toBe(before.length);
  }, 120_000);
});

describe.runIf(emulatorAvailable)('the local stack over the Pub/Sub emulator', () => {
  it('runs the same loop through real topics and subscriptions', async () => {
    const emulator = await startPubSubEmulator();
    const { dir, warehouse } = await seeded();
    try {
      const stack = await startLocalStack({
        config: loadConfig({
          BQCOST_DB: join(dir, 'bqcost.duckdb'),
          PUBSUB_EMULATOR_HOST: emulator.host,
          GOOGLE_CLOUD_PROJECT: emulator.projectId,
        }),
        warehouse,
        write: () => undefined,
        windowEnd: end,
        windowDays: 30,
        stateDir: dir,
        demo: true,
        serve: false,
      });
      await stack.close();
      expectWholeLoop(transcript(join(dir, 'transcript.jsonl')));
    } finally {
      await warehouse.close();
      await emulator.stop();
    }
  }, 180_000);
});
