import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '../src/adapters/memory/memory-bus.js';
import { TranscriptChat } from '../src/adapters/transcript/transcript-chat.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { tempDir } from './fixtures/builders.js';

// The snooze wake-up and re-post thresholds (src/domain/snooze-wake.ts) come from the
// environment, and the runtime hands them to the analysis worker.

describe('card thresholds settings', () => {
  it('default to the domain defaults: wake at +50 % and +$100, re-post at ±25 % and ±$50', () => {
    expect(loadConfig({})).toMatchObject({
      BQCOST_WAKE_GROWTH_RATIO: 0.5,
      BQCOST_WAKE_GROWTH_USD: 100,
      BQCOST_REPOST_CHANGE_RATIO: 0.25,
      BQCOST_REPOST_CHANGE_USD: 50,
    });
  });

  it('read fractions and USD amounts, 0 included', () => {
    expect(
      loadConfig({
        BQCOST_WAKE_GROWTH_RATIO: '1.5',
        BQCOST_WAKE_GROWTH_USD: ' 250 ',
        BQCOST_REPOST_CHANGE_RATIO: '0',
        BQCOST_REPOST_CHANGE_USD: '12.5',
      }),
    ).toMatchObject({
      BQCOST_WAKE_GROWTH_RATIO: 1.5,
      BQCOST_WAKE_GROWTH_USD: 250,
      BQCOST_REPOST_CHANGE_RATIO: 0,
      BQCOST_REPOST_CHANGE_USD: 12.5,
    });
  });

  it.each([
    ['BQCOST_WAKE_GROWTH_RATIO', '50%'],
    ['BQCOST_WAKE_GROWTH_RATIO', '-0.5'],
    ['BQCOST_WAKE_GROWTH_USD', ''],
    ['BQCOST_WAKE_GROWTH_USD', '$100'],
    ['BQCOST_REPOST_CHANGE_RATIO', 'a quarter'],
    ['BQCOST_REPOST_CHANGE_USD', '1e3'],
  ])('refuse %s=%j, naming it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: a number ≥ 0`));
  });
});

describe('createRuntime', () => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
  });

  it('passes the configured thresholds to the analysis worker', async () => {
    const dir = tempDir('bqcost-thresholds-');
    runtime = await createRuntime({
      config: loadConfig({
        BQCOST_DB: join(dir, 'bqcost.duckdb'),
        BQCOST_WAKE_GROWTH_RATIO: '0.8',
        BQCOST_WAKE_GROWTH_USD: '400',
        BQCOST_REPOST_CHANGE_RATIO: '0.1',
        BQCOST_REPOST_CHANGE_USD: '20',
      }),
      bus: new MemoryBus(),
      chat: new TranscriptChat({ file: join(dir, 'transcript.jsonl') }),
      logger: createLogger({ level: 'silent' }),
    });
    expect(runtime.analysisJob.wakeThreshold).toEqual({ ratio: 0.8, usd: 400 });
    expect(runtime.analysisJob.changeThreshold).toEqual({ ratio: 0.1, usd: 20 });
  });
});
