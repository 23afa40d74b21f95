import { describe, expect, it } from 'vitest';
import {
  capBlocks,
  escapeMrkdwn,
  maxBlocks,
  maxSectionChars,
  section,
  sparkline,
  usd,
} from '../../handlers/blocks.js';

describe('Block Kit helpers', () => {
  it('escapes &, < and > so data cannot ping or link', () => {
    expect(escapeMrkdwn('<!channel> & <https://x.example|y>')).toBe(
      '&lt;!channel&gt; &amp; &lt;https://x.example|y&gt;',
    );
    expect(escapeMrkdwn('&amp;')).toBe('&amp;amp;');
  });

  it('keeps a section within 3000 characters', () => {
    const block = section('x'.repeat(5000)) as { text: { text: string } };
    expect(block.text.text).toHaveLength(maxSectionChars);
    expect(block.text.text.endsWith('…')).toBe(true);
  });

  it('caps a message at 50 blocks and says how many were left out', () => {
    const blocks = capBlocks(Array.from({ length: 60 }, (_, i) => section(String(i))));
    expect(blocks).toHaveLength(maxBlocks);
    expect(JSON.stringify(blocks.at(-1))).toContain('11 more not shown');
    expect(capBlocks([section('a')])).toHaveLength(1);
  });

  it('renders unknown money as "unknown", never $0', () => {
    expect(usd(null)).toBe('unknown');
    expect(usd(1234.5)).toBe('$1,234.50');
  });

  it('draws a sparkline scaled to the maximum', () => {
    expect(sparkline([0, 5, 10])).toBe('▁▅█');
    expect(sparkline([0, 0])).toBe('▁▁');
  });
});
